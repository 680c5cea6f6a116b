// docs/targets.md, rendered from the target table and the spec readers' rules, so the page cannot drift from the
// code (a test compares them; `npm run docs:targets` rewrites the page).
import { formatPlatform, type Platform } from '../platform/index.js';
import { listTargets } from './resolve.js';
import { COMPOSE_DEFAULT_PLATFORM } from './specs/compose.js';
import { SPEC_TYPES } from './specs/read-spec.js';
import type { TargetInfo } from './types.js';

function platforms(list: readonly Platform[]): string {
  return list.length === 0 ? '—' : list.map((p) => `\`${formatPlatform(p)}\``).join(', ');
}

/** A link's text: `owner/repo#123` for GitHub issues and pull requests, the host and path otherwise. */
function linkText(url: string): string {
  const github = /^https:\/\/github\.com\/([^/]+\/[^/]+)\/(?:issues|pull)\/(\d+)/.exec(url);
  if (github) return `${github[1]}#${github[2]}`;
  const parsed = new URL(url);
  return `${parsed.host}${parsed.pathname.replace(/\/$/, '')}`;
}

function link(url: string): string {
  return `[${linkText(url)}](${url})`;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function mediaTypes(t: TargetInfo): string {
  return t.mediaTypes === undefined ? 'any' : t.mediaTypes.map((m) => `\`${m}\``).join(', ');
}

function summaryCells(t: TargetInfo): string[] {
  const runs =
    t.name === 'k8s'
      ? 'the listed node architectures'
      : t.name === 'platform'
        ? 'the listed platforms'
        : platforms(t.platforms);
  return [
    `\`${escapeCell(t.usage)}\``,
    t.title,
    runs,
    t.acceptsIndex ? 'yes' : '**no**',
    platforms(t.requiresInIndex),
    t.source.kind,
  ];
}

/** A Markdown table with its columns padded to one width, as the project's formatter writes them. */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const width = (text: string) => [...text].length;
  const widths = header.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ''))));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => c + ' '.repeat((widths[i] ?? 0) - width(c))).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

function details(t: TargetInfo): string[] {
  const lines = [`### \`${t.name}\`: ${t.title}`, ''];
  lines.push(
    `- Written: \`${t.usage}\`${t.aliases.length > 0 ? ` (also ${t.aliases.map((a) => `\`${a}\``).join(', ')})` : ''}`,
  );
  if (t.options.length > 0) {
    lines.push(`- Options${t.default === undefined ? '' : ` (default \`${t.default}\`)`}:`);
    for (const o of t.options) {
      const aliases = o.aliases.length > 0 ? ` (also ${o.aliases.map((a) => `\`${a}\``).join(', ')})` : '';
      lines.push(`  - \`${t.name}:${o.name}\`${aliases}: ${o.description}`);
    }
  } else if (t.platforms.length > 0) {
    lines.push(`- Runs: ${platforms(t.platforms)}`);
  }
  lines.push(`- Accepts an index: ${t.acceptsIndex ? 'yes' : 'no, a single image manifest only'}`);
  if (t.requiresInIndex.length > 0) lines.push(`- An index must include: ${platforms(t.requiresInIndex)}`);
  lines.push(`- Manifest media types: ${mediaTypes(t)}`);
  const also =
    t.source.also === undefined || t.source.also.length === 0 ? '' : ` See also ${t.source.also.map(link).join(', ')}.`;
  const from = t.source.url === undefined ? '' : ` (${link(t.source.url)})`;
  lines.push(`- Source, ${t.source.kind}${from}: ${t.source.note}${also}`);
  lines.push('');
  return lines;
}

/** The text of docs/targets.md. */
export function renderTargetsMarkdown(): string {
  const targets = listTargets();
  const lines = [
    '# Deployment targets',
    '',
    '<!-- Generated from src/targets by `npm run docs:targets`. Do not edit by hand. -->',
    '',
    'A target says where an image will run: which platforms it must be runnable on, whether the target accepts a',
    'multi-platform index, which platforms an index must include and which manifest media types it takes. Write one',
    'as `name` or `name:option`; names and options are case-insensitive (`LAMBDA:ARM64` is `lambda:arm64`).',
    '"Documented" rules come from the vendor\'s documentation; "reported" ones from issue threads and maintainers\'',
    'statements, where the documentation says nothing.',
    '',
    ...table(
      ['Target', 'Product', 'Runs', 'Index accepted', 'Index must include', 'Source'],
      targets.map(summaryCells),
    ),
    '',
    '## Targets',
    '',
    ...targets.flatMap(details),
    '## Deployment specs',
    '',
    'A deployment spec file gives each image it deploys with the target it must run on. The kind is detected from',
    'the content:',
    '',
    ...SPEC_TYPES.map((s) => `- \`${s.type}\`: ${s.title}`),
    '',
    'How each chooses the target:',
    '',
    '- ECS task definitions: `runtimePlatform.cpuArchitecture` (X86_64 when left out, or ARM64) and',
    '  `operatingSystemFamily` (LINUX, or a WINDOWS_SERVER_* value: `windows-<version>`); `requiresCompatibilities`',
    '  with FARGATE gives `ecs-fargate`, otherwise `ecs`.',
    '- App Runner services: `apprunner`. Lambda functions: `Architectures` (x86_64 when left out, or arm64).',
    '- CloudFormation: `AWS::ECS::TaskDefinition`, `AWS::ECS::ExpressGatewayService`, `AWS::AppRunner::Service`,',
    '  `AWS::Lambda::Function`, `AWS::Serverless::Function` and `AWS::Batch::JobDefinition`. `Ref`, `Fn::Sub`,',
    '  `Fn::Join`, `Fn::Select`, `Fn::Split`, `Fn::If`, `Fn::FindInMap` and conditions are resolved from the',
    "  parameters' Default values (or values passed in) and the pseudo-parameters passed in (`AWS::Partition` and",
    '  `AWS::URLSuffix` follow from `AWS::Region`); an image only the deployment knows (`Fn::GetAtt`,',
    '  `Fn::ImportValue`, a resource `Ref`, an SSM parameter) is skipped with the reason and where it is.',
    '- Terraform plans: `aws_ecs_task_definition`, `aws_lambda_function`, `aws_apprunner_service` and',
    '  `aws_batch_job_definition` in every module; values known only after apply are skipped.',
    '- Batch jobs: `RuntimePlatform.CpuArchitecture` (X86_64 when left out); for an EC2 job definition the',
    "  architecture is really the instance types', which the result notes.",
    "- Kubernetes: the pod's `nodeSelector` on `kubernetes.io/arch` (or `beta.kubernetes.io/arch`) and its required",
    '  node affinity on it (`In` chooses, `NotIn` removes, `DoesNotExist` leaves none); a pod that chooses none',
    "  runs on the cluster's node architectures (`nodeArch`, default `amd64`). Read with YAML 1.1, as Kubernetes",
    '  does; other kinds of object are ignored.',
    `- Compose: a service's \`platform:\`; without one, \`${COMPOSE_DEFAULT_PLATFORM}\` is assumed and noted.`,
    '  A service with only `build:` is skipped.',
    '',
  ];
  return lines.join('\n');
}
