// CloudFormation's short-form intrinsic functions as YAML tags (`!Ref Name`, `!Sub '…'`, `!GetAtt A.B`, `!If […]`),
// read into the long JSON form (`{ Ref: Name }`, `{ 'Fn::Sub': … }`) so one resolver serves JSON and YAML templates.
import { type CollectionTag, Pair, Scalar, type ScalarTag, YAMLMap } from 'yaml';

/** Short tag → long name. `!Condition` is a condition reference, written `{ Condition: name }` in JSON. */
const INTRINSICS: readonly [string, string][] = [
  ['Ref', 'Ref'],
  ['Condition', 'Condition'],
  ['Sub', 'Fn::Sub'],
  ['Join', 'Fn::Join'],
  ['Select', 'Fn::Select'],
  ['Split', 'Fn::Split'],
  ['GetAtt', 'Fn::GetAtt'],
  ['GetAZs', 'Fn::GetAZs'],
  ['ImportValue', 'Fn::ImportValue'],
  ['FindInMap', 'Fn::FindInMap'],
  ['If', 'Fn::If'],
  ['Equals', 'Fn::Equals'],
  ['Not', 'Fn::Not'],
  ['And', 'Fn::And'],
  ['Or', 'Fn::Or'],
  ['Base64', 'Fn::Base64'],
  ['Cidr', 'Fn::Cidr'],
  ['Transform', 'Fn::Transform'],
  ['Length', 'Fn::Length'],
  ['ToJsonString', 'Fn::ToJsonString'],
  ['ForEach', 'Fn::ForEach'],
];

function scalarTag(short: string, long: string): ScalarTag {
  return {
    tag: `!${short}`,
    // `!GetAtt Resource.Attribute` is the string form of ['Resource', 'Attribute'] (split at the first dot).
    resolve: (value: string) => {
      if (long !== 'Fn::GetAtt') return { [long]: value };
      const dot = value.indexOf('.');
      return { [long]: dot < 0 ? [value] : [value.slice(0, dot), value.slice(dot + 1)] };
    },
  };
}

function collectionTag(short: string, long: string, collection: 'map' | 'seq'): CollectionTag {
  return {
    tag: `!${short}`,
    collection,
    // A one-key map around the original node keeps anchors, aliases and positions working inside it.
    resolve: (node) => {
      const map = new YAMLMap();
      map.items.push(new Pair(new Scalar(long), node));
      return map;
    },
  };
}

/** The YAML tags of CloudFormation's short-form intrinsic functions. */
export const CLOUDFORMATION_TAGS: readonly (ScalarTag | CollectionTag)[] = INTRINSICS.flatMap(([short, long]) => [
  scalarTag(short, long),
  collectionTag(short, long, 'seq'),
  collectionTag(short, long, 'map'),
]);

/** The short tag of a long intrinsic name, for messages (`Fn::GetAtt` → `!GetAtt`). */
export function shortTag(long: string): string | undefined {
  const found = INTRINSICS.find(([, l]) => l === long);
  return found === undefined ? undefined : `!${found[0]}`;
}

/** True for a key that names an intrinsic function (`Ref`, `Fn::*`, `Condition` inside a condition). */
export function isIntrinsicName(key: string): boolean {
  return key === 'Ref' || key.startsWith('Fn::');
}
