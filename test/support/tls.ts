// Test certificates made at test time with the openssl CLI: a CA and a server certificate for 127.0.0.1/localhost,
// and a self-signed signing certificate for the token server.
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await execFileAsync('openssl', args, { cwd });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`test harness: openssl ${args[0]} failed: ${(err.stderr || err.message).trim()}`);
  }
}

export interface ServerCertificates {
  /** PEM of the CA that signed the server certificate: what clients must trust. */
  caFile: string;
  caKeyFile: string;
  /** A directory holding only `ca.crt`, as skopeo's --cert-dir and docker's certs.d expect. */
  certDir: string;
  certFile: string;
  keyFile: string;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A CA and a server certificate (SAN IP:127.0.0.1, DNS:localhost) signed by it, written under `dir`. */
export async function makeServerCertificates(dir: string): Promise<ServerCertificates> {
  mkdirSync(dir, { recursive: true });
  const certDir = join(dir, 'certs.d');
  mkdirSync(certDir);
  const caFile = join(certDir, 'ca.crt');
  const caKeyFile = join(dir, 'ca.key');
  const certFile = join(dir, 'server.crt');
  const keyFile = join(dir, 'server.key');
  await openssl(
    [
      'req',
      '-x509',
      ...EC,
      '-keyout',
      caKeyFile,
      '-out',
      caFile,
      '-days',
      '30',
      '-subj',
      '/CN=archfit test CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  const csr = join(dir, 'server.csr');
  await openssl(['req', ...EC, '-keyout', keyFile, '-out', csr, '-subj', '/CN=localhost'], dir);
  const ext = join(dir, 'server.ext');
  writeFileSync(
    ext,
    [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '',
    ].join('\n'),
  );
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      caFile,
      '-CAkey',
      caKeyFile,
      '-CAcreateserial',
      '-out',
      certFile,
      '-days',
      '30',
      '-extfile',
      ext,
    ],
    dir,
  );
  return { caFile, caKeyFile, certDir, certFile, keyFile };
}

export interface SigningCertificate {
  certFile: string;
  keyFile: string;
}

/** A self-signed P-256 certificate whose key signs tokens; the registry trusts it as its `rootcertbundle`. */
export async function makeSigningCertificate(dir: string): Promise<SigningCertificate> {
  mkdirSync(dir, { recursive: true });
  const certFile = join(dir, 'token-signing.crt');
  const keyFile = join(dir, 'token-signing.key');
  await openssl(
    ['req', '-x509', ...EC, '-keyout', keyFile, '-out', certFile, '-days', '30', '-subj', '/CN=archfit test token'],
    dir,
  );
  return { certFile, keyFile };
}
