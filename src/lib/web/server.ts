import http from "node:http";
import next from "next";

export interface WebServer {
  url: string;
  close(): Promise<void>;
}

/** Serves the built Next.js app from this process, so one `liner serve` is the whole install. */
export async function startWebServer(opts: { root: string; host: string; port: number }): Promise<WebServer> {
  const app = next({ dev: false, dir: opts.root, hostname: opts.host, port: opts.port });
  await app.prepare();
  const handle = app.getRequestHandler();
  const server = http.createServer((req, res) => {
    void handle(req, res);
  });
  // Node ends a request not fully received within 5 minutes; a 1 GB export on a slow link takes
  // longer. Uploads stream to disk, so a long one costs no memory; headers stay on a short timer.
  server.requestTimeout = 2 * 60 * 60 * 1000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) =>
      reject(
        err.code === "EADDRINUSE"
          ? new Error(`Port ${opts.port} on ${opts.host} is in use: stop what holds it, or set PORT.`)
          : err,
      ),
    );
    server.listen(opts.port, opts.host, () => resolve());
  });
  let closing: Promise<void> | undefined;
  return {
    url: `http://${opts.host}:${opts.port}`,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive sockets would hold close() open; idle ones go now, busy ones after their reply.
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 5000).unref();
      }).then(() => app.close?.())),
  };
}
