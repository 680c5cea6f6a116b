// A local stand-in for the ECR API (awsJson1_1 over HTTP on 127.0.0.1), reached by the real AWS SDK through an
// endpoint override (AWS_ENDPOINT_URL_ECR): GetAuthorizationToken answers AWS:<password>, CreateRepository records
// repositories and answers RepositoryAlreadyExistsException for a second create.
import type { IncomingMessage, Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

// A local stand-in for the ECR API (awsJson1_1 over HTTP), reached by the real AWS SDK through an endpoint override.
export interface EcrRequest {
  target: string;
  body: Record<string, unknown>;
  authorization: string;
}

export interface EcrStandIn {
  url: string;
  password: string;
  requests: EcrRequest[];
  /** Answer every request with this error instead. */
  failWith?: { status: number; type: string; message: string };
  delayMs: number;
  close(): Promise<void>;
}

export const ACCOUNT = '123456789012';
export const ECR_HOST = `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com`;
export const TARGET_PREFIX = 'AmazonEC2ContainerRegistry_V20150921.';
export const AWS_SECRET = 'wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY00';

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startEcrStandIn(password: string): Promise<EcrStandIn> {
  const repositories = new Set<string>();
  const standIn: EcrStandIn = {
    url: '',
    password,
    requests: [],
    delayMs: 0,
    close: async () => {},
  };
  const server: Server = createServer(async (request, response) => {
    const text = await readBody(request);
    const target = String(request.headers['x-amz-target'] ?? '');
    const body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
    standIn.requests.push({ target, body, authorization: String(request.headers.authorization ?? '') });
    // Unref: a held answer must not keep the test process alive after the stand-in is closed.
    if (standIn.delayMs > 0) await sleep(standIn.delayMs, undefined, { ref: false });
    const send = (status: number, value: unknown) => {
      response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify(value));
    };
    const fail = (type: string, message: string) => send(400, { __type: type, message });
    if (standIn.failWith) {
      response.writeHead(standIn.failWith.status, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify({ __type: standIn.failWith.type, message: standIn.failWith.message }));
      return;
    }
    if (request.method !== 'POST' || request.url !== '/') return fail('UnknownOperationException', 'POST / only');
    if (target === `${TARGET_PREFIX}GetAuthorizationToken`) {
      return send(200, {
        authorizationData: [
          {
            authorizationToken: b64(`AWS:${password}`),
            expiresAt: Math.floor(Date.now() / 1000) + 12 * 3600,
            proxyEndpoint: `https://${ECR_HOST}`,
          },
        ],
      });
    }
    if (target === `${TARGET_PREFIX}CreateRepository`) {
      const name = String(body['repositoryName']);
      if (repositories.has(name)) {
        return fail(
          'RepositoryAlreadyExistsException',
          `The repository with name '${name}' already exists in the registry with id '${ACCOUNT}'`,
        );
      }
      repositories.add(name);
      return send(200, {
        repository: {
          repositoryName: name,
          registryId: ACCOUNT,
          repositoryArn: `arn:aws:ecr:eu-west-1:${ACCOUNT}:repository/${name}`,
          repositoryUri: `${ECR_HOST}/${name}`,
          createdAt: Math.floor(Date.now() / 1000),
        },
      });
    }
    return fail('UnknownOperationException', target);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  standIn.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  standIn.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return standIn;
}
