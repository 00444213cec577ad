"""The probe of bench/fullgc.py, loaded into a served process through PYTHONPATH (with
GCPROBE_OUT, the file it appends to):
every full (generation 2) collection's CPU (time.thread_time of the collecting thread,
from gc.callbacks' start to stop), wall time and thread, one JSON line each; on SIGUSR1
a census: one gc.collect() under DEBUG_SAVEALL, the cyclic garbage found counted by
type, and the tracked objects outside the frozen generation."""
import os

_OUT = os.environ.get("GCPROBE_OUT")
if _OUT:
    import collections
    import gc
    import json
    import signal
    import threading
    import time

    _out = open(_OUT, "a", buffering=1)
    _state = threading.local()

    def _timed(phase, info):
        if info.get("generation") != 2:
            return
        if phase == "start":
            _state.began = (time.thread_time(), time.perf_counter())
            return
        began = getattr(_state, "began", None)
        if began is None:
            return
        cpu, wall = time.thread_time() - began[0], time.perf_counter() - began[1]
        _state.began = None
        _out.write(json.dumps({"t": time.time(), "pid": os.getpid(),
                               "cpu_ms": round(cpu * 1000, 3), "wall_ms": round(wall * 1000, 3),
                               "thread": threading.current_thread().name,
                               "collected": info.get("collected")}) + "\n")

    gc.callbacks.append(_timed)

    def _census(*_):
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            began = time.thread_time()
            gc.collect()
            cpu = time.thread_time() - began
            kinds = collections.Counter(f"{type(o).__module__}.{type(o).__qualname__}"
                                        for o in gc.garbage)
            total = len(gc.garbage)
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
        _out.write(json.dumps({"census": True, "t": time.time(), "garbage": total,
                               "cpu_ms": round(cpu * 1000, 3),
                               "tracked": len(gc.get_objects()),
                               "kinds": kinds.most_common(40)}) + "\n")

    signal.signal(signal.SIGUSR1, _census)
