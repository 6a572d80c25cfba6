// The layers of docs/architecture.md, enforced (`npm run lint`):
//   cli -> container -> {cgroups, rootfs, seccomp, hooks, state, validate,
//                        image, network, systemd, rootless, shim} -> native, oci-spec
// src/errors.ts, src/log.ts and src/write-all.ts are shared utilities below
// every layer. image, network and shim are loaded lazily (import()).
'use strict';

const MIDDLE = '(cgroups|rootfs|seccomp|hooks|state|validate|image|network|systemd|rootless|shim)';
const LAZY = '(image|network|shim)';

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
      name: 'container-only-from-cli',
      comment: 'The lifecycle is used by the CLI; the tiers below it never reach up into it.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(cli|container)/' },
      to: { path: '^src/container/' },
    },
    {
      name: 'middle-tier-stays-below-container',
      comment: `src/${MIDDLE} imports each other, src/native, oci-spec and the shared utilities only.`,
      severity: 'error',
      from: { path: `^src/${MIDDLE}/` },
      to: { path: '^src/(cli|container)/' },
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
      comment: 'src/errors.ts, src/log.ts, src/write-all.ts import no layer.',
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
      name: 'image-network-shim-load-lazily',
      comment:
        'tsrun state must not pay for images, networks or the shim: outside those folders they are reached ' +
        'only through import() (or import type, which loads nothing).',
      severity: 'error',
      from: { pathNot: `^src/${LAZY}/` },
      to: { path: `^src/${LAZY}/`, dependencyTypesNot: ['dynamic-import', 'type-only'] },
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
