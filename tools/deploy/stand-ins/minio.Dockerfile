# Stand-in for minio/minio and minio/mc (pnpm test:compose): s3rver (npm) on the node stand-in, behind
# a `minio server DIR` command and an `mc` that knows the three commands docker-compose.yml uses
# (`ready local`, `alias set`, `mb --ignore-existing`).
ARG NODE_IMAGE
FROM ${NODE_IMAGE}
RUN npm install -g s3rver@3.7.1 && npm cache clean --force
COPY minio.js mc.js /usr/local/lib/minio-stand-in/
RUN chmod 755 /usr/local/lib/minio-stand-in/*.js \
 && ln -s ../lib/minio-stand-in/minio.js /usr/local/bin/minio \
 && ln -s ../lib/minio-stand-in/mc.js /usr/local/bin/mc
EXPOSE 9000
ENTRYPOINT ["minio"]
