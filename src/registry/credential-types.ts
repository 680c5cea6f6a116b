// What the registry client asks for when a registry challenges it; implemented by the docker-config chain, the ECR
// token source, explicit options, or anything a library user passes in.

export interface Credential {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token (docker config `identitytoken`, or a helper that answers Username "<token>"). */
  identityToken?: string;
  /** A bearer token to send as is (docker config `registrytoken`). */
  registryToken?: string;
  /** When this credential stops being valid (ECR tokens last 12 hours). */
  expiresAt?: Date;
}

export interface CredentialLookupOptions {
  signal?: AbortSignal;
  /** The repository the credential is for, where a store keeps credentials per repository (auth.json). */
  repository?: string;
}

export interface CredentialStore {
  /**
   * The credential for a registry host ("docker.io", "ghcr.io", "127.0.0.1:5000",
   * "123456789012.dkr.ecr.eu-west-1.amazonaws.com"), or undefined for anonymous access.
   */
  get(host: string, options?: CredentialLookupOptions): Promise<Credential | undefined>;
}
