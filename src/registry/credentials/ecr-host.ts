// Amazon ECR private registry hosts: <account>.dkr.ecr[-fips].<region>.<partition domain>, and the dual-stack
// <account>.dkr-ecr[-fips].<region>.on.aws form. The same pattern as Amazon's own credential helper, so a host it
// serves is a host we serve.

export interface EcrHost {
  /** The 12-digit AWS account ID. */
  accountId: string;
  region: string;
  /** A "dkr.ecr-fips" host: ask the FIPS endpoint of the ECR API for its token. */
  fips: boolean;
}

const ECR_HOST =
  /^(\d{12})\.dkr[.-]ecr(-fips)?\.([a-z0-9][a-z0-9_-]*)\.(?:amazonaws\.(?:com(?:\.cn)?|eu)|on\.(?:aws|amazonwebservices\.com\.cn)|sc2s\.sgov\.gov|c2s\.ic\.gov|cloud\.adc-e\.uk|csp\.hci\.ic\.gov)$/;

/** The account and region of an ECR registry host, or undefined when `host` is not one. */
export function parseEcrHost(host: string): EcrHost | undefined {
  const match = ECR_HOST.exec(host.trim().toLowerCase());
  if (!match) return undefined;
  return { accountId: match[1]!, region: match[3]!, fips: match[2] !== undefined };
}
