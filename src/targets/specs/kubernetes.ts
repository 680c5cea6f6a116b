// Kubernetes manifests (one or many YAML documents, or JSON; `List` kinds hold items): the pods of Pod,
// Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob and PodTemplate, with their
// containers, init containers and ephemeral containers. A pod's node architectures come from its nodeSelector on
// `kubernetes.io/arch` (or the legacy `beta.kubernetes.io/arch`) and its required node affinity on that label
// (`In` chooses, `NotIn` removes, `DoesNotExist` leaves none); a pod that chooses none runs on the cluster's nodes
// (`nodeArch`). Documents of other kinds are ignored.
import { type Collector, describeValue, isObject, str, type TargetChoice } from './collect.js';
import { invalidSpec } from './parse-text.js';
import type { PathSegment } from './path.js';

const ARCH_LABELS = ['kubernetes.io/arch', 'beta.kubernetes.io/arch'];
const OS_LABELS = ['kubernetes.io/os', 'beta.kubernetes.io/os'];

/** Where each workload kind keeps its pod spec. */
const POD_SPEC: Record<string, readonly string[]> = {
  Pod: ['spec'],
  PodTemplate: ['template', 'spec'],
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

const CONTAINER_FIELDS = ['initContainers', 'containers', 'ephemeralContainers'];

export interface KubernetesOptions {
  /** The cluster's node architectures (normalised `kubernetes.io/arch` values). */
  nodeArch: readonly string[];
  /** True when nodeArch is the default rather than given. */
  defaultNodeArch: boolean;
}

export function isKubernetesObject(value: Record<string, unknown>): boolean {
  return typeof value.apiVersion === 'string' && typeof value.kind === 'string';
}

function label(labels: unknown, keys: readonly string[]): string | undefined {
  if (!isObject(labels)) return undefined;
  for (const key of keys) {
    const value = labels[key];
    if (typeof value === 'string' || typeof value === 'number') return String(value);
  }
  return undefined;
}

function get(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const key of path) current = isObject(current) ? current[key] : undefined;
  return current;
}

function values(expression: Record<string, unknown>): string[] {
  return Array.isArray(expression.values) ? expression.values.map(String) : [];
}

interface Constraint {
  archs: string[];
  /** True when the architectures depend on the cluster's (nodeArch). */
  usesNodeArch: boolean;
  os: string;
}

/** The node architectures a pod may run on (see the header), and its OS. */
function constraint(spec: Record<string, unknown>, options: KubernetesOptions): Constraint {
  const selectorArch = label(spec.nodeSelector, ARCH_LABELS);
  let os = str(get(spec, ['os', 'name'])) ?? label(spec.nodeSelector, OS_LABELS);
  const terms = get(spec, [
    'affinity',
    'nodeAffinity',
    'requiredDuringSchedulingIgnoredDuringExecution',
    'nodeSelectorTerms',
  ]);
  const universe = selectorArch === undefined ? undefined : [selectorArch];
  let usesNodeArch = false;

  const termArchs = (term: unknown): string[] => {
    const expressions = isObject(term) && Array.isArray(term.matchExpressions) ? term.matchExpressions : [];
    let chosen: string[] | undefined;
    const removed = new Set<string>();
    let none = false;
    for (const expression of expressions) {
      if (!isObject(expression) || typeof expression.key !== 'string') continue;
      if (OS_LABELS.includes(expression.key) && expression.operator === 'In' && os === undefined) {
        const [only, ...more] = values(expression);
        if (only !== undefined && more.length === 0) os = only;
      }
      if (!ARCH_LABELS.includes(expression.key)) continue;
      if (expression.operator === 'In') {
        const list = values(expression);
        chosen = chosen === undefined ? list : chosen.filter((a) => list.includes(a));
      } else if (expression.operator === 'NotIn') {
        for (const v of values(expression)) removed.add(v);
      } else if (expression.operator === 'DoesNotExist') {
        none = true;
      }
    }
    if (none) return [];
    let base: string[];
    if (chosen !== undefined) base = universe === undefined ? chosen : chosen.filter((a) => universe.includes(a));
    else if (universe !== undefined) base = universe;
    else {
      usesNodeArch = true;
      base = [...options.nodeArch];
    }
    return base.filter((a) => !removed.has(a));
  };

  let archs: string[];
  if (Array.isArray(terms) && terms.length > 0) {
    // Terms are alternatives: the pod may land on a node that satisfies any of them.
    archs = [...new Set(terms.flatMap(termArchs))];
  } else if (universe !== undefined) {
    archs = universe;
  } else {
    usesNodeArch = true;
    archs = [...options.nodeArch];
  }
  return { archs, usesNodeArch, os: (os ?? 'linux').toLowerCase() };
}

function targetOf(spec: Record<string, unknown>, options: KubernetesOptions): TargetChoice {
  const { archs, usesNodeArch, os } = constraint(spec, options);
  if (archs.length === 0) {
    return {
      reason: 'no node architecture is left: the nodeSelector and node affinity on kubernetes.io/arch exclude all',
    };
  }
  const entries = archs.map((a) => (os === 'linux' ? a : `${os}/${a}`));
  const choice: TargetChoice = { spec: `k8s:${entries.join(',')}` };
  if (!usesNodeArch) return choice;
  const nodes = options.nodeArch.join(', ');
  return {
    ...choice,
    note: options.defaultNodeArch
      ? `the pod does not choose a node architecture; the cluster's nodes are assumed to be ${nodes} (set nodeArch)`
      : `the pod does not choose a node architecture; the cluster's nodes are ${nodes}`,
  };
}

class ManifestReader {
  constructor(
    private readonly c: Collector,
    private readonly options: KubernetesOptions,
  ) {}

  object(value: Record<string, unknown>, kind: string, path: PathSegment[], document: number): void {
    if (kind.endsWith('List') && Array.isArray(value.items)) {
      // Typed lists (DeploymentList) leave out each item's kind.
      const itemKind = kind === 'List' ? undefined : kind.slice(0, -'List'.length);
      value.items.forEach((item, i) => {
        if (!isObject(item)) return;
        const k = str(item.kind) ?? itemKind;
        if (k !== undefined) this.object(item, k, [...path, 'items', i], document);
      });
      return;
    }
    const podPath = POD_SPEC[kind];
    if (podPath === undefined) return;
    const metadata = isObject(value.metadata) ? value.metadata : {};
    const workload = `${kind}/${str(metadata.name) ?? str(metadata.generateName) ?? '?'}`;
    const spec = get(value, podPath);
    if (!isObject(spec)) {
      this.c.skip({ path: [...path, ...podPath], name: workload, document }, 'no pod spec');
      return;
    }
    const choice = targetOf(spec, this.options);
    for (const field of CONTAINER_FIELDS) {
      const containers = spec[field];
      if (!Array.isArray(containers)) continue;
      containers.forEach((container, i) => {
        const name = `${workload}/${(isObject(container) ? str(container.name) : undefined) ?? `#${i}`}`;
        const place = { path: [...path, ...podPath, field, i], name, document };
        this.c.add(place, isObject(container) ? container.image : undefined, choice);
      });
    }
  }
}

export function readKubernetes(documents: readonly unknown[], c: Collector, options: KubernetesOptions): void {
  const reader = new ManifestReader(c, options);
  let objects = 0;
  documents.forEach((value, document) => {
    if (value === null || value === undefined) return;
    const where = documents.length > 1 ? `document ${document + 1}` : 'the document';
    if (!isObject(value)) {
      throw invalidSpec(c.file, `${where} is not a Kubernetes object: ${describeValue(value, 40)}`, { document });
    }
    if (!isKubernetesObject(value)) {
      throw invalidSpec(c.file, `${where} is not a Kubernetes object: it has no apiVersion and kind`, { document });
    }
    objects++;
    reader.object(value, value.kind as string, [], document);
  });
  if (objects === 0) throw invalidSpec(c.file, 'no Kubernetes objects');
}
