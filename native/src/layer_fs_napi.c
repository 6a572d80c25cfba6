/* JS-facing calls of the layer unpacker (layer_fs.h): the TypeScript side
 * parses the tar stream and decides what each entry is; every filesystem
 * operation goes through here, relative to the layer root fd. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layer_fs.h"
#include "layer_fs_napi.h"
#include "napi_util.h"

#define MAX_XATTRS 128

/* A layer_meta read from { uid, gid, mode, atime, atimeNs, mtime, mtimeNs,
 * xattrs?: [name, Buffer][] }; names are malloc'd into names[]. */
struct meta_holder {
  struct layer_meta m;
  const char *names[MAX_XATTRS];
  const void *values[MAX_XATTRS];
  size_t sizes[MAX_XATTRS];
  size_t owned;
};

static void meta_free(struct meta_holder *h) {
  for (size_t i = 0; i < h->owned; i++) free((void *)h->names[i]);
  h->owned = 0;
}

static bool get_num_prop(napi_env env, napi_value obj, const char *name, int64_t *out, bool *present) {
  napi_value v;
  if (!tsrun_prop(env, obj, name, &v, present)) return false;
  if (!*present) return true;
  return tsrun_get_i64(env, v, out);
}

static bool read_time(napi_env env, napi_value obj, const char *sec, const char *nsec, struct timespec *ts) {
  int64_t s = 0, ns = 0;
  bool has_s, has_ns;
  if (!get_num_prop(env, obj, sec, &s, &has_s) || !get_num_prop(env, obj, nsec, &ns, &has_ns)) return false;
  if (!has_s) {
    ts->tv_sec = 0;
    ts->tv_nsec = UTIME_OMIT;
    return true;
  }
  if (ns < 0 || ns > 999999999) {
    napi_throw_range_error(env, NULL, "nanoseconds out of range");
    return false;
  }
  ts->tv_sec = (time_t)s;
  ts->tv_nsec = (long)ns;
  return true;
}

static bool read_meta(napi_env env, napi_value obj, struct meta_holder *h) {
  memset(h, 0, sizeof *h);
  int64_t uid = 0, gid = 0, mode = 0;
  bool p;
  if (!get_num_prop(env, obj, "uid", &uid, &p) || !get_num_prop(env, obj, "gid", &gid, &p) ||
      !get_num_prop(env, obj, "mode", &mode, &p))
    return false;
  if (uid < 0 || uid > 0xfffffffe || gid < 0 || gid > 0xfffffffe) {
    napi_throw_range_error(env, NULL, "uid/gid out of range");
    return false;
  }
  h->m.uid = (uid_t)uid;
  h->m.gid = (gid_t)gid;
  h->m.mode = (mode_t)(mode & 07777);
  if (!read_time(env, obj, "atime", "atimeNs", &h->m.times[0]) ||
      !read_time(env, obj, "mtime", "mtimeNs", &h->m.times[1]))
    return false;
  napi_value xs;
  if (!tsrun_prop(env, obj, "xattrs", &xs, &p)) return false;
  if (p) {
    uint32_t n;
    if (napi_get_array_length(env, xs, &n) != napi_ok) {
      napi_throw_type_error(env, NULL, "xattrs: expected an array of [name, Buffer]");
      return false;
    }
    if (n > MAX_XATTRS) {
      napi_throw_range_error(env, NULL, "too many xattrs");
      return false;
    }
    for (uint32_t i = 0; i < n; i++) {
      napi_value pair, name, value;
      char *s;
      void *data;
      size_t len;
      bool isbuf = false;
      if (napi_get_element(env, xs, i, &pair) != napi_ok || napi_get_element(env, pair, 0, &name) != napi_ok ||
          napi_get_element(env, pair, 1, &value) != napi_ok || napi_is_buffer(env, value, &isbuf) != napi_ok ||
          !isbuf) {
        meta_free(h);
        napi_throw_type_error(env, NULL, "xattrs: expected an array of [name, Buffer]");
        return false;
      }
      if (!tsrun_get_string(env, name, &s)) {
        meta_free(h);
        return false;
      }
      napi_get_buffer_info(env, value, &data, &len);
      h->names[i] = s;
      h->values[i] = data;
      h->sizes[i] = len;
      h->owned = i + 1;
    }
    h->m.nxattrs = n;
  }
  h->m.xattr_names = h->names;
  h->m.xattr_values = h->values;
  h->m.xattr_sizes = h->sizes;
  return true;
}

/* Throw for r < 0 (naming the call and the entry), else return undefined. */
static napi_value result(napi_env env, int r, const char *call, const char *path) {
  if (r < 0) return tsrun_throw_errno(env, -r, call, path);
  return NULL;
}

/* layerOpenRoot(path) -> O_PATH fd of the layer directory */
static napi_value js_open_root(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  char *path;
  if (!tsrun_get_args(env, info, 1, argv) || !tsrun_get_string(env, argv[0], &path)) return NULL;
  const char *call = "";
  int fd = tsrun_layer_open_root(path, &call);
  napi_value out = fd < 0 ? tsrun_throw_errno(env, -fd, call, path) : tsrun_make_i32(env, fd);
  free(path);
  return out;
}

/* Reads (rootFd, path) and the rest of argv (want args in all). */
static bool root_and_path(napi_env env, napi_callback_info info, size_t want, napi_value *argv, int32_t *root,
                          char **path) {
  return tsrun_get_args(env, info, want, argv) && tsrun_get_i32(env, argv[0], root) &&
         tsrun_get_string(env, argv[1], path);
}

/* layerCreateFile(root, path, mode) -> fd (O_WRONLY; mode completed by layerFinishFile) */
static napi_value js_create_file(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t root;
  uint32_t mode;
  char *path;
  if (!root_and_path(env, info, 3, argv, &root, &path)) return NULL;
  if (!tsrun_get_u32(env, argv[2], &mode)) {
    free(path);
    return NULL;
  }
  const char *call = "";
  int fd = tsrun_layer_create_file(root, path, (mode_t)mode, &call);
  napi_value out = fd < 0 ? tsrun_throw_errno(env, -fd, call, path) : tsrun_make_i32(env, fd);
  free(path);
  return out;
}

/* layerWrite(fd, buffer): all of it */
static napi_value js_write(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t fd;
  void *data;
  size_t len;
  if (!tsrun_get_args(env, info, 2, argv) || !tsrun_get_i32(env, argv[0], &fd)) return NULL;
  if (napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "layerWrite: expected a Buffer");
    return NULL;
  }
  const char *call = "";
  return result(env, tsrun_layer_write(fd, data, len, &call), call, NULL);
}

/* layerFinishFile(fd, meta): ownership, xattrs, mode, times; closes fd */
static napi_value js_finish_file(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t fd;
  struct meta_holder h;
  if (!tsrun_get_args(env, info, 2, argv) || !tsrun_get_i32(env, argv[0], &fd)) return NULL;
  if (!read_meta(env, argv[1], &h)) {
    close(fd);
    return NULL;
  }
  const char *call = "";
  int r = tsrun_layer_finish_file(fd, &h.m, &call);
  meta_free(&h);
  return result(env, r, call, NULL);
}

/* layerWriteFile(root, path, meta, buffer): create, write all, finish */
static napi_value js_write_file(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t root;
  char *path;
  void *data;
  size_t len;
  struct meta_holder h;
  if (!root_and_path(env, info, 4, argv, &root, &path)) return NULL;
  if (napi_get_buffer_info(env, argv[3], &data, &len) != napi_ok) {
    free(path);
    napi_throw_type_error(env, NULL, "layerWriteFile: expected a Buffer");
    return NULL;
  }
  if (!read_meta(env, argv[2], &h)) {
    free(path);
    return NULL;
  }
  const char *call = "";
  int r = tsrun_layer_write_file(root, path, &h.m, data, len, &call);
  meta_free(&h);
  napi_value out = result(env, r, call, path);
  free(path);
  return out;
}

/* layerMkdir(root, path, meta) ("" = the layer root) */
static napi_value js_mkdir(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t root;
  char *path;
  struct meta_holder h;
  if (!root_and_path(env, info, 3, argv, &root, &path)) return NULL;
  if (!read_meta(env, argv[2], &h)) {
    free(path);
    return NULL;
  }
  const char *call = "";
  int r = tsrun_layer_mkdir(root, path, &h.m, &call);
  meta_free(&h);
  napi_value out = result(env, r, call, path);
  free(path);
  return out;
}

/* layerSymlink(root, path, target, meta) */
static napi_value js_symlink(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t root;
  char *path, *target;
  struct meta_holder h;
  if (!root_and_path(env, info, 4, argv, &root, &path)) return NULL;
  if (!tsrun_get_string(env, argv[2], &target)) {
    free(path);
    return NULL;
  }
  if (!read_meta(env, argv[3], &h)) {
    free(path);
    free(target);
    return NULL;
  }
  const char *call = "";
  int r = tsrun_layer_symlink(root, path, target, &h.m, &call);
  meta_free(&h);
  napi_value out = result(env, r, call, path);
  free(path);
  free(target);
  return out;
}

/* layerHardlink(root, path, target) */
static napi_value js_hardlink(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t root;
  char *path, *target;
  if (!root_and_path(env, info, 3, argv, &root, &path)) return NULL;
  if (!tsrun_get_string(env, argv[2], &target)) {
    free(path);
    return NULL;
  }
  const char *call = "";
  int r = tsrun_layer_hardlink(root, path, target, &call);
  napi_value out = result(env, r, call, path);
  free(path);
  free(target);
  return out;
}

/* layerMknod(root, path, kind "c" | "b" | "p", major, minor, meta) */
static napi_value js_mknod(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  int32_t root;
  uint32_t major, minor;
  char *path, *kind;
  struct meta_holder h;
  if (!root_and_path(env, info, 6, argv, &root, &path)) return NULL;
  if (!tsrun_get_string(env, argv[2], &kind)) {
    free(path);
    return NULL;
  }
  mode_t type = strcmp(kind, "c") == 0   ? S_IFCHR
                : strcmp(kind, "b") == 0 ? S_IFBLK
                : strcmp(kind, "p") == 0 ? S_IFIFO
                                         : 0;
  free(kind);
  if (!tsrun_get_u32(env, argv[3], &major) || !tsrun_get_u32(env, argv[4], &minor) || !read_meta(env, argv[5], &h)) {
    free(path);
    return NULL;
  }
  const char *call = "";
  int r = tsrun_layer_mknod(root, path, type, major, minor, &h.m, &call);
  meta_free(&h);
  napi_value out = result(env, r, call, path);
  free(path);
  return out;
}

/* layerWhiteout(root, path, meta) -> false when this layer already has the name */
static napi_value js_whiteout(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t root;
  char *path;
  struct meta_holder h;
  if (!root_and_path(env, info, 3, argv, &root, &path)) return NULL;
  if (!read_meta(env, argv[2], &h)) {
    free(path);
    return NULL;
  }
  const char *call = "";
  int r = tsrun_layer_whiteout(root, path, &h.m, &call);
  meta_free(&h);
  napi_value out;
  if (r < 0) {
    out = tsrun_throw_errno(env, -r, call, path);
  } else {
    napi_get_boolean(env, r == 0, &out);
  }
  free(path);
  return out;
}

/* layerOpaque(root, dir) */
static napi_value js_opaque(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t root;
  char *path;
  if (!root_and_path(env, info, 2, argv, &root, &path)) return NULL;
  const char *call = "";
  int r = tsrun_layer_opaque(root, path, &call);
  napi_value out = result(env, r, call, path);
  free(path);
  return out;
}

/* layerSetTimes(root, path, { atime, atimeNs, mtime, mtimeNs }) */
static napi_value js_set_times(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t root;
  char *path;
  struct timespec ts[2];
  if (!root_and_path(env, info, 3, argv, &root, &path)) return NULL;
  if (!read_time(env, argv[2], "atime", "atimeNs", &ts[0]) || !read_time(env, argv[2], "mtime", "mtimeNs", &ts[1])) {
    free(path);
    return NULL;
  }
  const char *call = "";
  int r = tsrun_layer_set_times(root, path, ts, &call);
  napi_value out = result(env, r, call, path);
  free(path);
  return out;
}

void tsrun_register_layer_fs(napi_env env, napi_value exports) {
  static const tsrun_fn fns[] = {
      {"layerOpenRoot", js_open_root},     {"layerCreateFile", js_create_file}, {"layerWrite", js_write},
      {"layerFinishFile", js_finish_file}, {"layerWriteFile", js_write_file},   {"layerMkdir", js_mkdir},
      {"layerSymlink", js_symlink},        {"layerHardlink", js_hardlink},      {"layerMknod", js_mknod},
      {"layerWhiteout", js_whiteout},      {"layerOpaque", js_opaque},          {"layerSetTimes", js_set_times},
  };
  tsrun_export(env, exports, fns, sizeof fns / sizeof fns[0]);
}
