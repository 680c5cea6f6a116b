// A test server on a free loopback port that can be closed at once: open keep-alive connections are ended with it.
import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface LoopbackListener {
  port: number;
  /** Destroys every open connection, then closes the server. */
  close(): Promise<void>;
}

export async function listenOnLoopback(server: Server): Promise<LoopbackListener> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
