/* The stat pass of a snapshot's freshness check (graph/snapshot.py), without a Python
 * object a file.
 *
 * os.stat costs ~3.5 us of CPU a file on this project's machines, of which ~1.8 us is
 * the kernel's: the rest is building its stat_result (some twenty objects: three times
 * as floats and as nanoseconds, made by big-integer arithmetic) and reading four of its
 * fields back. A warm start at a million records stats ~900,000 files. This stats them
 * all in C with the GIL let go for the whole loop (so two threads use two cores) and
 * gives each file's (size, mtime_ns, inode, ctime_ns) packed as four native 64-bit
 * integers (the inode unsigned), 32 bytes a file: what graph.snapshot hashes.
 *
 * No library does this: the stat calls of Python (os, pathlib, scandir) each make a
 * stat_result, and a ctypes call costs about as much as os.stat. graph.snapshot has the
 * same pass in Python (os.stat and struct) for an install without a C compiler; the
 * tests check that the two give the same bytes.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Bumped when what stats() gives changes; graph.snapshot uses only the version it knows. */
#define FILESTATS_VERSION 1

static PyObject *
stats(PyObject *self, PyObject *args)
{
    PyObject *names, *seq = NULL, *encoded = NULL, *out = NULL;
    Py_ssize_t start, stop, n, i;
    const char **paths = NULL;
    Py_ssize_t failed_at = -1;
    int failed_errno = 0;

    if (!PyArg_ParseTuple(args, "Onn:stats", &names, &start, &stop))
        return NULL;
    seq = PySequence_Fast(names, "stats() wants a sequence of paths");
    if (seq == NULL)
        return NULL;
    n = PySequence_Fast_GET_SIZE(seq);
    if (start < 0 || stop > n || start > stop) {
        PyErr_Format(PyExc_ValueError, "stats(): no range %zd:%zd in %zd paths", start, stop, n);
        goto done;
    }
    n = stop - start;
    /* Each path as os.stat encodes it (os.fsencode: str, bytes or os.PathLike), held
     * for the loop below, which runs without the GIL. */
    encoded = PyTuple_New(n);
    if (encoded == NULL)
        goto done;
    paths = PyMem_Malloc(sizeof(char *) * (size_t)(n ? n : 1));
    if (paths == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (i = 0; i < n; i++) {
        PyObject *path = NULL;
        if (!PyUnicode_FSConverter(PySequence_Fast_GET_ITEM(seq, start + i), &path))
            goto done;
        PyTuple_SET_ITEM(encoded, i, path);
        paths[i] = PyBytes_AS_STRING(path);
    }
    out = PyBytes_FromStringAndSize(NULL, n * 32);
    if (out == NULL)
        goto done;
    {
        char *at = PyBytes_AS_STRING(out);
        Py_BEGIN_ALLOW_THREADS
        for (i = 0; i < n; i++) {
            struct stat st;
            int64_t row[4];
            uint64_t inode;
            if (stat(paths[i], &st) != 0) {
                failed_at = i;
                failed_errno = errno;
                break;
            }
            row[0] = (int64_t)st.st_size;
            row[1] = (int64_t)st.st_mtim.tv_sec * 1000000000 + (int64_t)st.st_mtim.tv_nsec;
            inode = (uint64_t)st.st_ino;
            memcpy(&row[2], &inode, 8);
            row[3] = (int64_t)st.st_ctim.tv_sec * 1000000000 + (int64_t)st.st_ctim.tv_nsec;
            memcpy(at + i * 32, row, 32);
        }
        Py_END_ALLOW_THREADS
    }
    if (failed_at >= 0) {
        /* As os.stat says it: errno, its text and the path as given. */
        errno = failed_errno;
        PyErr_SetFromErrnoWithFilenameObject(
            PyExc_OSError, PySequence_Fast_GET_ITEM(seq, start + failed_at));
        Py_CLEAR(out);
    }
done:
    PyMem_Free(paths);
    Py_XDECREF(encoded);
    Py_XDECREF(seq);
    return out;
}

static PyMethodDef methods[] = {
    {"stats", stats, METH_VARARGS,
     "stats(paths, start, stop) -> bytes\n\n"
     "Stat paths[start:stop] (following symlinks, as os.stat) and return each one's\n"
     "(st_size, st_mtime_ns, st_ino, st_ctime_ns) as four native 64-bit integers\n"
     "(struct format '=qqQq'), 32 bytes a path, in order. The GIL is let go while the\n"
     "files are stat'ed. Raises OSError, as os.stat does, for the first that cannot be."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "graph._native.filestats",
    "Many files' stats in one call, for graph.snapshot's fingerprint.", -1, methods};

PyMODINIT_FUNC
PyInit_filestats(void)
{
    PyObject *m = PyModule_Create(&module);
    if (m != NULL && PyModule_AddIntConstant(m, "VERSION", FILESTATS_VERSION) != 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
