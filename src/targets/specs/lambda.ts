// Lambda functions: `aws lambda get-function` output ({ Configuration, Code: { ImageUri } }), the input of
// `create-function` ({ FunctionName, PackageType: 'Image', Code: { ImageUri }, Architectures }) or of
// `update-function-code` ({ FunctionName, ImageUri, Architectures }).
import { lambdaTarget } from './aws.js';
import { type Collector, isObject, str } from './collect.js';
import { invalidSpec } from './parse-text.js';

export function isLambdaFunction(value: Record<string, unknown>): boolean {
  if (isObject(value.Configuration) && 'FunctionName' in value.Configuration) return true;
  return typeof value.FunctionName === 'string' && ('Code' in value || 'ImageUri' in value || 'PackageType' in value);
}

export function readLambdaFunction(value: Record<string, unknown>, c: Collector): void {
  const described = isObject(value.Configuration);
  const config = described ? (value.Configuration as Record<string, unknown>) : value;
  if (typeof config.FunctionName !== 'string') {
    throw invalidSpec(c.file, 'not a Lambda function: no FunctionName');
  }
  const name = config.FunctionName;
  const packageType = str(config.PackageType);
  const code = isObject(value.Code) ? value.Code : undefined;
  if (packageType !== undefined && packageType !== 'Image') {
    const path = described ? ['Configuration', 'PackageType'] : ['PackageType'];
    c.skip({ path, name }, `a ${packageType} package, not a container image`);
    return;
  }
  const choice = lambdaTarget(config.Architectures);
  if (code !== undefined) {
    // get-function gives both the URI as set and the digest Lambda resolved it to; the URI is what a deploy reads.
    c.add({ path: ['Code'], name }, code.ImageUri ?? code.ResolvedImageUri, choice);
  } else if ('ImageUri' in value) {
    c.add({ path: ['ImageUri'], name }, value.ImageUri, choice);
  } else {
    c.skip({ path: described ? ['Configuration'] : ['FunctionName'], name }, 'no Code.ImageUri');
  }
}
