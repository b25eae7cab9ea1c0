# Dockerfile - the datatrail DaemonSet image (deploy/kubernetes/daemonset.yaml).
# The base is a root file system made locally from Debian packages (tools/mkrootfs.sh:
# busybox-static and the agent's shared libraries), so no registry is needed to build it:
#   make image-rootfs && buildah bud --isolation chroot -t datatrail:0.1.0 .   (or: make image)
# `docker build .` works the same after `make image-rootfs`.
FROM scratch
ADD build/image/rootfs.tar /
COPY build/datatrail /usr/local/bin/datatrail
COPY examples/inventory.json /etc/datatrail/inventory.json
COPY examples/config.json /etc/datatrail/config.json
LABEL org.opencontainers.image.title="datatrail" \
      org.opencontainers.image.description="kernel-level monitor of classified training-data flows (eBPF)" \
      org.opencontainers.image.licenses="GPL-2.0"
# The metrics endpoint when enabled (--metrics "$POD_IP:9464" or metrics.listen).
EXPOSE 9464
ENTRYPOINT ["/usr/local/bin/datatrail"]
CMD ["run", "--inventory", "/etc/datatrail/inventory.json", "--config", "/etc/datatrail/config.json", \
     "--events", "/var/log/datatrail/events.jsonl", "--findings", "/var/log/datatrail/findings.jsonl"]
