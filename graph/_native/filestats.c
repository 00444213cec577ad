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
 *
 * pread_cached reads a snapshot's stored entries for a follow's change (graph/snapshot.py,
 * SnapshotFile.read) holding the GIL when the page cache has them: os.pread lets the GIL
 * go for every read, and beside 16 busy query threads the applying thread waited a switch
 * interval or more to have it back, each time (ing37). write_synced writes an ingested
 * record's temporary file (graph/ingest.py) with one wait for the GIL, not five.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

/* Bumped when what stats() gives changes; graph.snapshot uses only the version it knows. */
#define FILESTATS_VERSION 2

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


/* ---- The listing (graph.records.list_files) of a plain folder tree, in C. ----------
 *
 * list_files spends ~1.2 s of CPU at a million records (892,791 files), most of it a
 * DirEntry object and a few Python calls an entry, then a sort by path parts. This walks
 * the tree with openat/readdir, each folder's names sorted (strcmp: UTF-8's byte order is
 * its code points' order, Python's) and its subfolders walked in their place, which is
 * the order of the paths by parts, what list_files sorts by. It answers only for the
 * plain case: at the first entry list_files would have to look at more closely (a
 * symlink, a type readdir does not know, a name that is not UTF-8, a folder that cannot
 * be read, a folder seen twice) it gives None, and list_files walks the tree in Python,
 * noting each such entry as it always did. Hidden names (a leading dot) are left out. */

#define WALK_MAX_DEPTH 1024

typedef struct {
    char *name;
    size_t len;
    int folder;
} Entry;

typedef struct {
    char *path;       /* the path of the folder being walked, then a slash */
    size_t len, cap;
    PyObject *names;  /* the files found, in order */
    dev_t *seen_dev;
    ino_t *seen_ino;
    size_t seen_n, seen_cap;
} Walk;

static int
by_name(const void *a, const void *b)
{
    return strcmp(((const Entry *)a)->name, ((const Entry *)b)->name);
}

/* 1: walked; 0: not plain (the caller gives None); -1: a Python error is set. */
static int
walk_folder(Walk *w, int folder_fd, int depth)
{
    DIR *dir;
    struct dirent *d;
    struct stat st;
    Entry *entries = NULL;
    size_t n = 0, cap = 0, i;
    int plain = 1, result = 1;

    if (depth > WALK_MAX_DEPTH || fstat(folder_fd, &st) != 0) {
        close(folder_fd);
        return 0;
    }
    for (i = 0; i < w->seen_n; i++)
        if (w->seen_dev[i] == st.st_dev && w->seen_ino[i] == st.st_ino) {
            close(folder_fd);
            return 0;  /* reached twice (a bind mount): list_files says so */
        }
    if (w->seen_n == w->seen_cap) {
        size_t c = w->seen_cap ? 2 * w->seen_cap : 256;
        dev_t *dv = PyMem_Realloc(w->seen_dev, c * sizeof(dev_t));
        if (dv == NULL) { close(folder_fd); PyErr_NoMemory(); return -1; }
        w->seen_dev = dv;
        ino_t *iv = PyMem_Realloc(w->seen_ino, c * sizeof(ino_t));
        if (iv == NULL) { close(folder_fd); PyErr_NoMemory(); return -1; }
        w->seen_ino = iv;
        w->seen_cap = c;
    }
    w->seen_dev[w->seen_n] = st.st_dev;
    w->seen_ino[w->seen_n] = st.st_ino;
    w->seen_n++;

    dir = fdopendir(folder_fd);
    if (dir == NULL) {
        close(folder_fd);
        return 0;
    }
    Py_BEGIN_ALLOW_THREADS
    for (;;) {
        errno = 0;
        d = readdir(dir);
        if (d == NULL) {
            if (errno != 0)
                plain = 0;
            break;
        }
        if (d->d_name[0] == '.')
            continue;  /* hidden, and . and .. */
        if (d->d_type == DT_LNK || d->d_type == DT_UNKNOWN) {
            plain = 0;
            break;
        }
        if (n == cap) {
            size_t c = cap ? 2 * cap : 64;
            Entry *e = realloc(entries, c * sizeof(Entry));
            if (e == NULL) { plain = -1; break; }
            entries = e;
            cap = c;
        }
        entries[n].len = strlen(d->d_name);
        entries[n].name = malloc(entries[n].len + 1);
        if (entries[n].name == NULL) { plain = -1; break; }
        memcpy(entries[n].name, d->d_name, entries[n].len + 1);
        entries[n].folder = d->d_type == DT_DIR;
        n++;
    }
    if (plain == 1)
        qsort(entries, n, sizeof(Entry), by_name);
    Py_END_ALLOW_THREADS
    if (plain != 1) {
        result = plain == 0 ? 0 : (PyErr_NoMemory(), -1);
        goto done;
    }
    for (i = 0; i < n && result == 1; i++) {
        Entry *e = &entries[i];
        size_t need = w->len + e->len + 2;
        if (need > w->cap) {
            size_t c = need * 2;
            char *p = PyMem_Realloc(w->path, c);
            if (p == NULL) { PyErr_NoMemory(); result = -1; break; }
            w->path = p;
            w->cap = c;
        }
        memcpy(w->path + w->len, e->name, e->len);
        if (e->folder) {
            int fd = openat(dirfd(dir), e->name,
                            O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            size_t was = w->len;
            if (fd < 0) { result = 0; break; }  /* list_files says why */
            w->path[was + e->len] = '/';
            w->len = was + e->len + 1;
            result = walk_folder(w, fd, depth + 1);
            w->len = was;
        } else {
            /* Strictly UTF-8 (a surrogate's bytes too are refused): the names list_files
             * skips with a note are the ones that are not. */
            PyObject *path = PyUnicode_DecodeUTF8(w->path, (Py_ssize_t)(w->len + e->len),
                                                  "strict");
            if (path == NULL) {
                if (!PyErr_ExceptionMatches(PyExc_UnicodeDecodeError)) { result = -1; break; }
                PyErr_Clear();
                result = 0;
                break;
            }
            if (PyList_Append(w->names, path) != 0) result = -1;
            Py_DECREF(path);
        }
    }
done:
    for (i = 0; i < n; i++)
        free(entries[i].name);
    free(entries);
    closedir(dir);
    return result;
}

static PyObject *
list_plain(PyObject *self, PyObject *args)
{
    PyObject *root_obj, *out = NULL;
    const char *root;
    Py_ssize_t root_len;
    Walk w = {0};
    int fd, done;

    if (!PyArg_ParseTuple(args, "U:list_plain", &root_obj))
        return NULL;
    root = PyUnicode_AsUTF8AndSize(root_obj, &root_len);
    if (root == NULL) {  /* not UTF-8 (a surrogate): the Python walk */
        PyErr_Clear();
        Py_RETURN_NONE;
    }
    w.cap = (size_t)root_len + 256;
    w.path = PyMem_Malloc(w.cap);
    w.names = PyList_New(0);
    if (w.path == NULL || w.names == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    /* As list_files joins: "." gives bare names, a root ending in a slash no second. */
    if (strcmp(root, ".") == 0) {
        w.len = 0;
    } else {
        memcpy(w.path, root, (size_t)root_len);
        w.len = (size_t)root_len;
        if (w.len == 0 || w.path[w.len - 1] != '/')
            w.path[w.len++] = '/';
    }
    fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        out = Py_None;
        Py_INCREF(out);
        goto fail;
    }
    done = walk_folder(&w, fd, 0);
    if (done < 0)
        goto fail;
    if (done == 0) {
        out = Py_None;
        Py_INCREF(out);
        goto fail;
    }
    out = w.names;
    w.names = NULL;
fail:
    Py_XDECREF(w.names);
    PyMem_Free(w.path);
    PyMem_Free(w.seen_dev);
    PyMem_Free(w.seen_ino);
    return out;
}

/* pread_cached(fd, size, offset): the bytes, read only if the page cache holds them all,
 * without letting the GIL go (see the method's doc below). */
static PyObject *
pread_cached(PyObject *self, PyObject *args)
{
    int fd;
    Py_ssize_t size;
    long long offset;
    PyObject *out;

    if (!PyArg_ParseTuple(args, "inL:pread_cached", &fd, &size, &offset))
        return NULL;
    if (size < 0 || offset < 0) {
        PyErr_Format(PyExc_ValueError,
                     "pread_cached(): size and offset must be 0 or more, not %zd and %lld",
                     size, offset);
        return NULL;
    }
#if defined(RWF_NOWAIT)
    out = PyBytes_FromStringAndSize(NULL, size);
    if (out == NULL)
        return NULL;
    if (size == 0)
        return out;
    {
        struct iovec iov;
        ssize_t n;
        iov.iov_base = PyBytes_AS_STRING(out);
        iov.iov_len = (size_t)size;
        /* The GIL is held: with RWF_NOWAIT the kernel copies from its page cache or
         * answers EAGAIN at once, never waiting for the disk. */
        do {
            n = preadv2(fd, &iov, 1, (off_t)offset, RWF_NOWAIT);
        } while (n < 0 && errno == EINTR);
        if (n == size)
            return out;
        Py_DECREF(out);
        if (n >= 0 || errno == EAGAIN || errno == EWOULDBLOCK || errno == EOPNOTSUPP ||
                errno == EINVAL || errno == ENOSYS)
            Py_RETURN_NONE; /* short (not all cached, or past the end), or no RWF_NOWAIT */
        return PyErr_SetFromErrno(PyExc_OSError);
    }
#else
    (void)fd;
    (void)out;
    Py_RETURN_NONE;
#endif
}

/* write_synced(path, data): a new file written whole and fsynced, one GIL release for
 * all its system calls (see the method's doc below). */
static PyObject *
write_synced(PyObject *self, PyObject *args)
{
    PyObject *encoded = NULL;
    Py_buffer data;
    const char *path;
    int fd, err = 0;
    struct stat st;

    if (!PyArg_ParseTuple(args, "O&y*:write_synced", PyUnicode_FSConverter, &encoded, &data))
        return NULL;
    path = PyBytes_AS_STRING(encoded);
    Py_BEGIN_ALLOW_THREADS
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        err = errno;
    } else {
        const char *at = data.buf;
        Py_ssize_t left = data.len;
        while (left > 0) {
            ssize_t n = write(fd, at, (size_t)left);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                err = errno;
                break;
            }
            at += n;
            left -= n;
        }
        if (err == 0 && fsync(fd) != 0)
            err = errno;
        if (err == 0 && fstat(fd, &st) != 0)
            err = errno;
        if (close(fd) != 0 && err == 0 && errno != EINTR)
            err = errno;
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&data);
    if (err != 0) {
        errno = err;
        PyErr_SetFromErrnoWithFilename(PyExc_OSError, path);
        Py_DECREF(encoded);
        return NULL;
    }
    Py_DECREF(encoded);
    return Py_BuildValue("(LLK)", (long long)st.st_size,
                         (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec,
                         (unsigned long long)st.st_ino);
}

static PyMethodDef methods[] = {
    {"stats", stats, METH_VARARGS,
     "stats(paths, start, stop) -> bytes\n\n"
     "Stat paths[start:stop] (following symlinks, as os.stat) and return each one's\n"
     "(st_size, st_mtime_ns, st_ino, st_ctime_ns) as four native 64-bit integers\n"
     "(struct format '=qqQq'), 32 bytes a path, in order. The GIL is let go while the\n"
     "files are stat'ed. Raises OSError, as os.stat does, for the first that cannot be."},
    {"list_plain", list_plain, METH_VARARGS,
     "list_plain(root) -> list[str] | None\n\n"
     "The files under the folder root, hidden names left out, in the order of their\n"
     "paths by parts; None when the tree holds anything but plain folders and files\n"
     "with UTF-8 names, or a folder cannot be read (graph.records.list_files then)."},
    {"pread_cached", pread_cached, METH_VARARGS,
     "pread_cached(fd, size, offset) -> bytes | None\n\n"
     "The size bytes of fd at offset when the kernel's page cache holds all of them,\n"
     "read with preadv2(RWF_NOWAIT) without letting the GIL go; None when it does not\n"
     "(the read would wait for the disk), when fewer are there (the end of the file) or\n"
     "where RWF_NOWAIT is not known: then read them with os.pread. Raises OSError for\n"
     "any other failure (a bad descriptor)."},
    {"write_synced", write_synced, METH_VARARGS,
     "write_synced(path, data) -> (st_size, st_mtime_ns, st_ino)\n\n"
     "Create (or truncate) the file path (mode 0o644 less the umask, close-on-exec),\n"
     "write all of data, fsync it and return its size, modification time in ns and\n"
     "inode, as os.fstat gives them: open, write, fsync, fstat and close with the GIL\n"
     "let go once for all of them, where os's functions let it go and take it back for\n"
     "each. Raises OSError (with the path) for the first that fails; a file it created\n"
     "is left for the caller to remove."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "graph._native.filestats",
    "A corpus listed and its files' stats taken in a call each, for a snapshot's\n"
    "freshness check (graph.records.list_files, graph.snapshot.fingerprint).", -1, methods};

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
