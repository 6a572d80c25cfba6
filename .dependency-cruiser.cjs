// The layers of docs/architecture.md, enforced (`npm run lint`):
//   cli  -> container -> {cgroups, rootfs, seccomp, hooks, state, validate,
//   shim ->              image, network, systemd, rootless} -> native, oci-spec
// cli and shim (containerd-shim-tsrun-v2) are the two tops, each reached only
// through its own entry; src/boot is what those entries share (no project
// imports). src/errors.ts, src/log.ts, src/version.ts and src/write-all.ts are
// shared utilities below every layer. image, network and container/image-run
// (tsrun container/volume) are loaded lazily (import() of their index.ts).
'use strict';

const MIDDLE = '(cgroups|rootfs|seccomp|hooks|state|validate|image|network|systemd|rootless)';
const LAZY = '(image|network|container/image-run)';

module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'No import cycle, type-only imports included (option types live apart from the facades that use them).',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'nothing-imports-cli',
      comment: 'src/cli is the top: only it imports itself.',
      severity: 'error',
      from: { pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'nothing-imports-shim',
      comment: 'src/shim is a top of its own (containerd-shim-tsrun-v2): only it imports itself; tsrun never loads it.',
      severity: 'error',
      from: { pathNot: '^src/shim/' },
      to: { path: '^src/shim/' },
    },
    {
      name: 'container-only-from-the-tops',
      comment: 'The lifecycle is used by the CLI and the shim; the tiers below it never reach up into it.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(cli|shim|container)/' },
      to: { path: '^src/container/' },
    },
    {
      name: 'boot-only-from-the-entries',
      comment: 'src/boot loads the bundles: the two entries use it, and it imports nothing of ours (it is not bundled).',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(boot/|cli/entry\\.ts$|shim/entry\\.ts$)' },
      to: { path: '^src/boot/' },
    },
    {
      name: 'boot-imports-nothing-of-ours',
      severity: 'error',
      from: { path: '^src/boot/' },
      to: { path: '^(src/(?!boot/)|oci-spec/)' },
    },
    {
      name: 'middle-tier-stays-below-container',
      comment: `src/${MIDDLE} imports each other, src/native, oci-spec and the shared utilities only.`,
      severity: 'error',
      from: { path: `^src/${MIDDLE}/` },
      to: { path: '^src/(cli|shim|container)/' },
    },
    {
      name: 'native-imports-only-oci-spec',
      comment: 'src/native is the addon facade: it may use oci-spec types, nothing else of ours.',
      severity: 'error',
      from: { path: '^src/native/' },
      to: { path: '^(src/(?!native/)|test/|scripts/|bench/)' },
    },
    {
      name: 'shared-utilities-at-the-bottom',
      comment: 'src/errors.ts, src/log.ts, src/version.ts, src/write-all.ts import no layer.',
      severity: 'error',
      from: { path: '^src/[^/]+\\.ts$' },
      to: { path: '^src/[^/]+/' },
    },
    {
      name: 'oci-spec-imports-nothing-of-ours',
      comment: 'oci-spec holds schemas and types, no logic: only zod and itself.',
      severity: 'error',
      from: { path: '^oci-spec/' },
      to: { pathNot: '^(oci-spec/|node_modules/zod/)' },
    },
    {
      name: 'image-network-load-lazily',
      comment:
        'tsrun state must not pay for images, networks or tsrun container: outside those folders they are reached ' +
        'only through import() (or import type, which loads nothing).',
      severity: 'error',
      from: { pathNot: `^src/${LAZY}/` },
      to: { path: `^src/${LAZY}/`, dependencyTypesNot: ['dynamic-import', 'type-only'] },
    },
    {
      name: 'zod-only-in-lazy-chunks',
      comment:
        'create, exec and update validate their documents with the checks compiled from the zod schemas ' +
        '(oci-spec/runtime-checks.ts, oci-spec/validate.ts): outside the lazy chunks (image, network, ' +
        'container/image-run), the schemas and zod are imported for their types only, so no lifecycle call loads zod.',
      severity: 'error',
      from: { path: '^src/', pathNot: `^src/${LAZY}/` },
      to: { path: '^(oci-spec/(index|runtime|schema-kit|features|state|image)\\.ts$|node_modules/zod/)', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'lazy-chunks-through-their-index',
      comment:
        'each lazy folder is one bundle chunk (scripts/bundle.js): from outside it is imported only ' +
        'through its index.ts (import type aside)',
      severity: 'error',
      from: { pathNot: `^src/${LAZY}/` },
      to: { path: `^src/${LAZY}/(?!index\\.ts$)`, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'product-code-imports-no-tests',
      severity: 'error',
      from: { path: '^(src|oci-spec)/' },
      to: { path: '^(test|scripts|bench)/' },
    },
    {
      name: 'no-dev-dependencies-in-product-code',
      comment: 'what the runtime loads must be a dependency, not a devDependency',
      severity: 'error',
      from: { path: '^(src|oci-spec)/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'resolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^(src|oci-spec|node_modules)/',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
