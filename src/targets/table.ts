// The deployment targets as data: what each runs, what it accepts, and where that rule comes from. The rules and
// their sources follow the project's research on deployment targets; a rule marked `reported` rests on issue
// threads or maintainers' statements rather than on the vendor's documentation.
import { MediaType } from '../image/index.js';
import type { Platform } from '../platform/index.js';
import type { TargetInfo, TargetOption } from './types.js';

const LINUX_AMD64: Platform = { os: 'linux', architecture: 'amd64' };
const LINUX_ARM64: Platform = { os: 'linux', architecture: 'arm64' };

/** The manifests of a single image, Docker v2 schema 2 or OCI: what Lambda takes. */
const SINGLE_IMAGE_MANIFESTS: readonly string[] = [MediaType.DockerManifest, MediaType.OciManifest];

/** Cloud Run's list: Docker v2 schema 1 and 2 and OCI, indexes included. */
const CLOUD_RUN_MANIFESTS: readonly string[] = [
  MediaType.DockerManifestList,
  MediaType.OciIndex,
  MediaType.DockerManifest,
  MediaType.OciManifest,
  MediaType.DockerManifestSchema1,
  MediaType.DockerManifestSchema1Signed,
];

const X86_64: TargetOption = {
  name: 'x86_64',
  aliases: ['amd64', 'x86-64', 'x64'],
  platforms: [LINUX_AMD64],
  description: 'linux/amd64 (X86_64)',
};

const ARM64: TargetOption = {
  name: 'arm64',
  aliases: ['aarch64', 'arm64/v8'],
  platforms: [LINUX_ARM64],
  description: 'linux/arm64 (Graviton)',
};

/**
 * Windows Server versions an ECS task definition's `operatingSystemFamily` names, with their OS builds: a Windows
 * container must match the host's build (from Windows Server 2022 on, the stable-ABI rules apply).
 */
export const WINDOWS_SERVER_BUILDS: readonly { option: string; family: string; build: string }[] = [
  { option: 'windows-2016', family: 'WINDOWS_SERVER_2016', build: '10.0.14393' },
  { option: 'windows-2019', family: 'WINDOWS_SERVER_2019', build: '10.0.17763' },
  { option: 'windows-2004', family: 'WINDOWS_SERVER_2004', build: '10.0.19041' },
  { option: 'windows-20h2', family: 'WINDOWS_SERVER_20H2', build: '10.0.19042' },
  { option: 'windows-2022', family: 'WINDOWS_SERVER_2022', build: '10.0.20348' },
  { option: 'windows-2025', family: 'WINDOWS_SERVER_2025', build: '10.0.26100' },
];

const WINDOWS_OPTIONS: readonly TargetOption[] = [
  {
    name: 'windows',
    aliases: [],
    platforms: [{ os: 'windows', architecture: 'amd64' }],
    description: 'windows/amd64, any Windows Server version',
  },
  ...WINDOWS_SERVER_BUILDS.map(
    (w): TargetOption => ({
      name: w.option,
      aliases: [],
      platforms: [{ os: 'windows', architecture: 'amd64', osVersion: w.build }],
      description: `windows/amd64, Windows Server ${w.option.slice('windows-'.length).toUpperCase()} (OS build ${w.build})`,
    }),
  ),
];

const ECS_SOURCE = {
  kind: 'documented',
  url: 'https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RuntimePlatform.html',
  note:
    'runtimePlatform.cpuArchitecture is X86_64 or ARM64 (ARM64 for Linux tasks on Fargate or EC2) and ' +
    'operatingSystemFamily is LINUX or a WINDOWS_SERVER_* value; the X86_64 default when runtimePlatform is left ' +
    'out is documented only by implication (it is explicit in the Batch docs). An index is accepted and the ' +
    'matching entry pulled; a task pinned by digest to an attestation entry fails (aws/aws-cdk#30258).',
  also: [
    'https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html#runtime-platform',
    'https://github.com/aws/aws-cdk/issues/30258',
  ],
} as const;

const ARCH_OPTIONS = 'x86_64|arm64';

/** The targets, in the order they are listed. `k8s` and `platform` take free-form options (see resolve.ts). */
export const TARGETS: readonly TargetInfo[] = [
  {
    name: 'apprunner',
    aliases: ['app-runner'],
    title: 'AWS App Runner',
    usage: 'apprunner',
    platforms: [LINUX_AMD64],
    acceptsIndex: true,
    requiresInIndex: [],
    mediaTypes: undefined,
    default: undefined,
    options: [],
    source: {
      kind: 'reported',
      url: 'https://github.com/aws/apprunner-roadmap/issues/98',
      note:
        'x86-64 only: ARM (Graviton) support is an open request and the docs state no architecture; a request to ' +
        'validate the image architecture is open too (#79). Whether an index is accepted is not documented. App ' +
        'Runner is closed to new customers from April 30, 2026 (docs banner).',
      also: ['https://github.com/aws/apprunner-roadmap/issues/79'],
    },
  },
  {
    name: 'ecs',
    aliases: ['ecs-ec2'],
    title: 'Amazon ECS',
    usage: `ecs[:${ARCH_OPTIONS}|windows[-<version>]]`,
    platforms: [LINUX_AMD64],
    acceptsIndex: true,
    requiresInIndex: [],
    mediaTypes: undefined,
    default: 'x86_64',
    options: [X86_64, ARM64, ...WINDOWS_OPTIONS],
    source: ECS_SOURCE,
  },
  {
    name: 'ecs-fargate',
    aliases: ['fargate'],
    title: 'Amazon ECS on AWS Fargate',
    usage: `ecs-fargate[:${ARCH_OPTIONS}|windows[-<version>]]`,
    platforms: [LINUX_AMD64],
    acceptsIndex: true,
    requiresInIndex: [],
    mediaTypes: undefined,
    default: 'x86_64',
    options: [X86_64, ARM64, ...WINDOWS_OPTIONS],
    source: ECS_SOURCE,
  },
  {
    name: 'ecs-express',
    aliases: [],
    title: 'Amazon ECS Express Mode',
    usage: 'ecs-express',
    platforms: [LINUX_AMD64],
    acceptsIndex: true,
    requiresInIndex: [],
    mediaTypes: undefined,
    default: undefined,
    options: [],
    source: {
      kind: 'reported',
      url: 'https://dev.classmethod.jp/en/articles/ecs-express-mode-arm64-fargate-spot-exec',
      note:
        'The architecture is fixed to x86_64 and cannot be changed through the Express Mode API (field report, ' +
        '2026-02). The ECS API reference adds that ECS may detect an architecture mismatch in an Express ' +
        'deployment and run tasks on another architecture (RuntimePlatformOverride).',
      also: ['https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RuntimePlatformOverride.html'],
    },
  },
  {
    name: 'lambda',
    aliases: ['aws-lambda'],
    title: 'AWS Lambda (container image)',
    usage: `lambda[:${ARCH_OPTIONS}]`,
    platforms: [LINUX_AMD64],
    acceptsIndex: false,
    requiresInIndex: [],
    mediaTypes: SINGLE_IMAGE_MANIFESTS,
    default: 'x86_64',
    options: [X86_64, ARM64],
    source: {
      kind: 'documented',
      url: 'https://docs.aws.amazon.com/lambda/latest/dg/images-create.html',
      note:
        'The function image must target one architecture, x86_64 (the default of the Architectures setting) or ' +
        'arm64; Lambda does not support multi-architecture images, so the image must be a single image manifest ' +
        '(Docker v2 schema 2 or OCI). Reported: an index added by buildx provenance is rejected with "The image ' +
        'manifest, config or layer media type for the source image ... is not supported" (aws-lambda-roadmap#82, ' +
        'docker/buildx#1533).',
      also: [
        'https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html',
        'https://github.com/aws/aws-lambda-roadmap/issues/82',
        'https://github.com/docker/buildx/issues/1533',
      ],
    },
  },
  {
    name: 'batch',
    aliases: ['aws-batch'],
    title: 'AWS Batch',
    usage: `batch[:${ARCH_OPTIONS}]`,
    platforms: [LINUX_AMD64],
    acceptsIndex: true,
    requiresInIndex: [],
    mediaTypes: undefined,
    default: 'x86_64',
    options: [X86_64, ARM64],
    source: {
      kind: 'documented',
      url: 'https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-batch-jobdefinition-runtimeplatform.html',
      note:
        'RuntimePlatform.CpuArchitecture: "The default value is X86_64"; valid values X86_64 and ARM64 (Fargate). ' +
        'On EC2 compute environments the architecture is that of the instance types; mixed-architecture jobs use ' +
        'a multi-architecture image and one job definition per architecture.',
    },
  },
  {
    name: 'cloudrun',
    aliases: ['cloud-run'],
    title: 'Google Cloud Run',
    usage: 'cloudrun',
    platforms: [LINUX_AMD64],
    acceptsIndex: true,
    requiresInIndex: [LINUX_AMD64],
    mediaTypes: CLOUD_RUN_MANIFESTS,
    default: undefined,
    options: [],
    source: {
      kind: 'documented',
      url: 'https://cloud.google.com/run/docs/container-contract',
      note:
        'Executables must be compiled for Linux 64-bit; Cloud Run supports the Linux x86_64 ABI. It accepts Docker ' +
        "Image Manifest V2 schema 1 and 2 and OCI images; a multi-architecture image's manifest list must include " +
        'linux/amd64.',
    },
  },
  {
    name: 'azure-container-apps',
    aliases: ['container-apps'],
    title: 'Azure Container Apps',
    usage: 'azure-container-apps',
    platforms: [LINUX_AMD64],
    acceptsIndex: true,
    requiresInIndex: [],
    mediaTypes: undefined,
    default: undefined,
    options: [],
    source: {
      kind: 'documented',
      url: 'https://learn.microsoft.com/en-us/azure/container-apps/containers',
      note:
        'Supports "any Linux-based x86-64 (linux/amd64) container image"; a maintainer confirms ARM images are not ' +
        'supported (vscode-azurecontainerapps#80). Index handling is not documented.',
      also: ['https://github.com/microsoft/vscode-azurecontainerapps/issues/80'],
    },
  },
  {
    name: 'azure-app-service',
    aliases: ['app-service'],
    title: 'Azure App Service (Linux containers)',
    usage: 'azure-app-service',
    platforms: [LINUX_AMD64],
    acceptsIndex: true,
    requiresInIndex: [],
    mediaTypes: undefined,
    default: undefined,
    options: [],
    source: {
      kind: 'reported',
      url: 'https://github.com/Azure/app-service-linux-docs/issues/110',
      note:
        'An arm64 image fails with "exec format error"; "App Service for Container will run image on x86_64" ' +
        '(MicrosoftDocs/azure-docs#101239). The docs state no architecture.',
      also: ['https://github.com/MicrosoftDocs/azure-docs/issues/101239'],
    },
  },
  {
    name: 'fly',
    aliases: ['fly.io', 'flyio'],
    title: 'Fly.io',
    usage: 'fly',
    platforms: [LINUX_AMD64],
    acceptsIndex: true,
    requiresInIndex: [],
    mediaTypes: undefined,
    default: undefined,
    options: [],
    source: {
      kind: 'reported',
      url: 'https://github.com/superfly/flyctl/pull/2597',
      note:
        'flyctl forces linux/amd64 builds because arm64 images from Apple Silicon do not work on Fly.io ' +
        '(superfly/flyctl#378). No documentation page states it.',
      also: ['https://github.com/superfly/flyctl/issues/378'],
    },
  },
  {
    name: 'heroku',
    aliases: [],
    title: 'Heroku',
    usage: 'heroku',
    platforms: [LINUX_AMD64],
    acceptsIndex: true,
    requiresInIndex: [],
    mediaTypes: undefined,
    default: undefined,
    options: [],
    source: {
      kind: 'reported',
      url: 'https://github.com/heroku/heroku-buildpack-python/pull/1575',
      note:
        'A Heroku maintainer: "when run on Heroku, this buildpack is still only ever run on amd64"; Heroku-24 base ' +
        'images are published for arm64 for local use only. The Container Registry docs were not verified.',
    },
  },
  {
    name: 'lightsail',
    aliases: [],
    title: 'Amazon Lightsail container services',
    usage: 'lightsail',
    platforms: [LINUX_AMD64],
    acceptsIndex: true,
    requiresInIndex: [],
    mediaTypes: undefined,
    default: undefined,
    options: [],
    source: {
      kind: 'documented',
      url: 'https://github.com/aws/agent-toolkit-for-aws/blob/main/skills/specialized-skills/web-and-mobile-development/deploying-containers-to-amazon-lightsail/references/local-image.md',
      note:
        'AWS-authored guide: Lightsail container services run on amd64 (x86_64); an arm64 image fails at run ' +
        'time with "exec format error".',
    },
  },
  {
    name: 'scaleway',
    aliases: ['scaleway-containers'],
    title: 'Scaleway Serverless Containers and Jobs',
    usage: 'scaleway',
    platforms: [LINUX_AMD64],
    acceptsIndex: true,
    requiresInIndex: [],
    mediaTypes: undefined,
    default: undefined,
    options: [],
    source: {
      kind: 'documented',
      url: 'https://github.com/scaleway/docs-content/blob/main/pages/serverless-containers/reference-content/containers-limitations.mdx',
      note:
        '"Image target platform must be: linux/amd64"; images with another platform fail to deploy. The Serverless ' +
        'Jobs limitations page says the same.',
      also: ['https://github.com/scaleway/docs-content/pull/5023'],
    },
  },
  {
    name: 'k8s',
    aliases: ['kubernetes'],
    title: 'Kubernetes',
    usage: 'k8s:<arch>[,<arch>…]',
    platforms: [],
    acceptsIndex: true,
    requiresInIndex: [],
    mediaTypes: undefined,
    default: undefined,
    options: [],
    source: {
      kind: 'documented',
      url: 'https://kubernetes.io/docs/reference/labels-annotations-taints/#kubernetes-io-arch',
      note:
        'Each node carries its architecture in the kubernetes.io/arch label (Go GOARCH names: amd64, arm64, arm, ' +
        'ppc64le, s390x, 386, …); pods choose nodes with a nodeSelector or node affinity on it. containerd pulls ' +
        'the index entry that matches the node (arm64/v8 normalised, arm v7 falls back to v6 and v5, 386 runs on ' +
        'amd64), so an image must be runnable on every architecture its pods may land on.',
    },
  },
  {
    name: 'platform',
    aliases: [],
    title: 'A given platform',
    usage: 'platform:<os>/<arch>[/<variant>][,…]',
    platforms: [],
    acceptsIndex: true,
    requiresInIndex: [],
    mediaTypes: undefined,
    default: undefined,
    options: [],
    source: {
      kind: 'given',
      note: "The platforms named on the command line or in a deployment spec (a Compose service's platform:).",
    },
  },
];
