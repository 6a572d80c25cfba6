/* compileSeccomp and seccompInfo; see seccomp_napi.h. */
#include "seccomp_napi.h"

#include <stdbool.h>
#include <stdio.h>

#include "napi_util.h"
#include "seccomp_compile.h"
#include "seccomp_kernel.h"
#include "seccomp_names.h"
#include "seccomp_profile.h"

static napi_value notes_to_js(napi_env env, const struct tsrun_seccomp_note *notes, size_t n) {
  napi_value arr;
  napi_create_array(env, &arr);
  for (size_t i = 0; i < n; i++) {
    napi_value w;
    napi_create_object(env, &w);
    napi_set_named_property(env, w, "path", tsrun_make_string(env, notes[i].path));
    napi_set_named_property(env, w, "message", tsrun_make_string(env, notes[i].message));
    napi_set_element(env, arr, (uint32_t)i, w);
  }
  return arr;
}

static napi_value compiled_to_js(napi_env env, const struct tsrun_seccomp_compiled *c) {
  napi_value result, buf, flags, unknown;
  if (napi_create_buffer_copy(env, c->n_insns * sizeof *c->filter, c->filter, NULL, &buf) != napi_ok) return NULL;
  napi_create_object(env, &result);
  napi_set_named_property(env, result, "filter", buf);
  napi_create_uint32(env, c->flags, &flags);
  napi_set_named_property(env, result, "flags", flags);
  napi_set_named_property(env, result, "warnings", notes_to_js(env, c->warnings, c->n_warnings));
  napi_create_array(env, &unknown);
  for (size_t i = 0; i < c->n_unknown; i++)
    napi_set_element(env, unknown, (uint32_t)i, tsrun_make_string(env, c->unknown[i]));
  napi_set_named_property(env, result, "unknownSyscalls", unknown);
  return result;
}

/* compileSeccomp(profile) -> { filter: Buffer, flags, warnings, unknownSyscalls };
 * throws Error with .jsonPath on what it cannot compile */
static napi_value js_compile_seccomp(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!tsrun_get_args(env, info, 1, argv)) return NULL;
  napi_valuetype t;
  napi_typeof(env, argv[0], &t);
  if (t != napi_object) {
    napi_throw_type_error(env, NULL, "compileSeccomp: expected a profile object");
    return NULL;
  }
  struct tsrun_seccomp_profile profile;
  struct tsrun_seccomp_compiled compiled = {0};
  struct tsrun_seccomp_note error;
  napi_value result = NULL;
  if (tsrun_seccomp_profile_from_js(env, argv[0], &profile)) {
    if (tsrun_seccomp_compile(&profile, &compiled, &error) == 0) result = compiled_to_js(env, &compiled);
    else if (error.path[0] == '\0') tsrun_throw(env, error.message);
    else tsrun_seccomp_throw(env, error.path, error.message);
  }
  tsrun_seccomp_compiled_free(&compiled);
  tsrun_seccomp_profile_free(&profile);
  return result;
}

static void set_bool(napi_env env, napi_value obj, const char *key, bool v) {
  napi_value b;
  napi_get_boolean(env, v, &b);
  napi_set_named_property(env, obj, key, b);
}

/* seccompInfo() -> { libseccompVersion, compilerRevision, apiLevel, nativeArch, archs, actions, flags }
 * archs: OCI names this libseccomp can compile for; actions/flags: name ->
 * supported by this kernel (what `tsrun features` reports). */
static napi_value js_seccomp_info(napi_env env, napi_callback_info info) {
  napi_value out, archs, actions, flags;
  napi_create_object(env, &out);
  const struct scmp_version *v = seccomp_version();
  char ver[32];
  snprintf(ver, sizeof ver, "%u.%u.%u", v->major, v->minor, v->micro);
  napi_set_named_property(env, out, "libseccompVersion", tsrun_make_string(env, ver));
  napi_value api, rev;
  napi_create_uint32(env, TSRUN_SECCOMP_COMPILER_REVISION, &rev);
  napi_set_named_property(env, out, "compilerRevision", rev);
  napi_create_uint32(env, seccomp_api_get(), &api);
  napi_set_named_property(env, out, "apiLevel", api);
  napi_set_named_property(env, out, "nativeArch",
                          tsrun_make_string(env, tsrun_seccomp_arch_name(seccomp_arch_native())));

  napi_create_array(env, &archs);
  uint32_t n = 0;
  for (size_t i = 0; i < TSRUN_SECCOMP_N_ARCHS; i++)
    if (tsrun_seccomp_resolve_arch(tsrun_seccomp_archs[i]) != 0)
      napi_set_element(env, archs, n++, tsrun_make_string(env, tsrun_seccomp_archs[i]));
  napi_set_named_property(env, out, "archs", archs);

  napi_create_object(env, &actions);
  for (size_t i = 0; i < TSRUN_SECCOMP_N_ACTIONS; i++)
    set_bool(env, actions, tsrun_seccomp_actions[i].name,
             tsrun_seccomp_action_available(tsrun_seccomp_actions[i].base));
  napi_set_named_property(env, out, "actions", actions);

  napi_create_object(env, &flags);
  for (size_t i = 0; i < TSRUN_SECCOMP_N_FLAGS; i++) {
    unsigned int bit = tsrun_seccomp_flags[i].bit;
    bool ok = bit == 0
                  ? tsrun_seccomp_flags_supported(SECCOMP_FILTER_FLAG_TSYNC)
                  : tsrun_seccomp_flags_supported(
                        bit == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV ? bit | SECCOMP_FILTER_FLAG_NEW_LISTENER : bit);
    set_bool(env, flags, tsrun_seccomp_flags[i].name, ok);
  }
  napi_set_named_property(env, out, "flags", flags);
  return out;
}

void tsrun_register_seccomp(napi_env env, napi_value exports) {
  static const tsrun_fn fns[] = {{"compileSeccomp", js_compile_seccomp}, {"seccompInfo", js_seccomp_info}};
  tsrun_export(env, exports, fns, sizeof fns / sizeof fns[0]);
}
