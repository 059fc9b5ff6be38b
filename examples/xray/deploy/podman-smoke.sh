#!/usr/bin/env bash
# podman-smoke.sh builds the xray container image with podman, runs it on
# loopback with the checkpoint mounted read-only, checks readiness and one
# analysis, optionally runs a small bounded load test, and stops it.
#
# No registry is needed: the binary is built on the host (CGO_ENABLED=0) and
# examples/xray/Dockerfile is FROM scratch.
#
# Usage (from anywhere in the repository; rootful podman, e.g. as root):
#   examples/xray/deploy/podman-smoke.sh
#   LOAD=40 PARALLEL="2 4" examples/xray/deploy/podman-smoke.sh
#
# Settings (environment):
#   WEIGHTS   checkpoint on the host   (default ../shared/reference/resnet34_cxr.pth)
#   XRAY_IMG  X-ray to analyse         (default ../shared/reference/images/medrax__pneumonia2.jpg)
#   PORT      loopback port            (default 18080)
#   CPUS      CPU limit of the container (default 2)
#   MEMORY    memory limit of the container (default 1g, the limit in deploy/deployment.yaml)
#   LOAD      analyses per load round; 0 skips the load test (default 0)
#   PARALLEL  concurrent requests of each load round, space-separated (default 2)
#   TAG       image name              (default localhost/xray:smoke)
#   KEEP_IMAGE=1 keeps the image afterwards.
#
# Reports are offline (-llm offline): no network, no API key. The images are
# patient data in real use: they are mounted read-only and never copied into
# the image; the script sends only the one file named by XRAY_IMG.
set -euo pipefail

repo=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
WEIGHTS=${WEIGHTS:-$repo/../shared/reference/resnet34_cxr.pth}
XRAY_IMG=${XRAY_IMG:-$repo/../shared/reference/images/medrax__pneumonia2.jpg}
PORT=${PORT:-18080}
CPUS=${CPUS:-2}
MEMORY=${MEMORY:-1g}
LOAD=${LOAD:-0}
PARALLEL=${PARALLEL:-2}
TAG=${TAG:-localhost/xray:smoke}
name=xray-smoke-$$
base=http://127.0.0.1:$PORT

say() { printf '== %s\n' "$*"; }
die() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

for tool in podman go curl; do
	command -v "$tool" >/dev/null || die "$tool is not installed (Debian: apt-get install -y podman curl)"
done
[[ -r $WEIGHTS ]] || die "no checkpoint at $WEIGHTS (set WEIGHTS)"
[[ -r $XRAY_IMG ]] || die "no image at $XRAY_IMG (set XRAY_IMG)"

# Without systemd (containers, CI sandboxes) podman's default cgroup manager
# and journald event log are missing; cgroupfs and a file log work anywhere.
podman=(podman)
if ! podman info >/dev/null 2>&1; then
	podman=(podman --cgroup-manager=cgroupfs --events-backend=file)
	"${podman[@]}" info >/dev/null || die "podman info fails even with cgroupfs and file events"
	say "no systemd here: using ${podman[*]}"
fi

# podman raises the open-files and process limits by default; a sandbox
# that forbids raising them fails with "setrlimit RLIMIT_NOFILE (NPROC):
# Operation not permitted". Keep this shell's open-files limit and ask for a
# process limit below it (4096 threads is plenty for one Go server).
ulimits=(--ulimit "nofile=$(ulimit -Sn):$(ulimit -Hn)" --ulimit nproc=4096:4096)

stage=$(mktemp -d)
cleanup() {
	local rc=$?
	if "${podman[@]}" container exists "$name" 2>/dev/null; then
		if ((rc != 0)); then
			say "container log (last 20 lines)"
			"${podman[@]}" logs --tail 20 "$name" 2>&1 || true
		fi
		"${podman[@]}" rm -f -t 5 "$name" >/dev/null 2>&1 || true
	fi
	if [[ ${KEEP_IMAGE:-0} != 1 ]]; then
		"${podman[@]}" rmi -f "$TAG" >/dev/null 2>&1 || true
	fi
	rm -rf "$stage"
	exit "$rc"
}
trap cleanup EXIT

say "building the static binary (CGO_ENABLED=0)"
mkdir -p "$stage/rootfs/etc/ssl/certs"
(cd "$repo" && CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$stage/rootfs/xray" ./examples/xray)
echo 'xray:x:65532:65532:xray:/nonexistent:/sbin/nologin' >"$stage/rootfs/etc/passwd"
echo 'xray:x:65532:' >"$stage/rootfs/etc/group"
if [[ -r /etc/ssl/certs/ca-certificates.crt ]]; then
	cp /etc/ssl/certs/ca-certificates.crt "$stage/rootfs/etc/ssl/certs/"
else
	say "no /etc/ssl/certs/ca-certificates.crt on this host: the image cannot reach Gemini/OpenAI over HTTPS (offline reports still work)"
fi
ls -l "$stage/rootfs/xray"

say "building $TAG (FROM scratch, no registry)"
"${podman[@]}" build -q -t "$TAG" -f "$repo/examples/xray/Dockerfile" "$stage"
"${podman[@]}" image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' "$TAG"

# crun refuses hybrid cgroup v1/v2 hosts ("cgroups in hybrid mode not
# supported"); runc handles them. Probe the default runtime first.
limits=(--cpus="$CPUS" --memory="$MEMORY" "${ulimits[@]}")
if ! "${podman[@]}" run --rm "${limits[@]}" --entrypoint /xray "$TAG" -h >/dev/null 2>&1; then
	command -v runc >/dev/null || die "podman cannot start a container here; try: apt-get install -y runc"
	podman+=(--runtime=runc)
	"${podman[@]}" run --rm "${limits[@]}" --entrypoint /xray "$TAG" -h >/dev/null 2>&1 ||
		die "podman cannot start a container with crun or runc"
	say "the default OCI runtime fails on this host (hybrid cgroups?): using ${podman[*]}"
fi

# --read-only-tmpfs=false: no writable /tmp either, as in Kubernetes
# without an emptyDir; the server writes no files.
say "starting $name on 127.0.0.1:$PORT (read-only root, no /tmp, no capabilities, $CPUS CPUs, $MEMORY memory)"
"${podman[@]}" run -d --name "$name" \
	--read-only --read-only-tmpfs=false --cap-drop=ALL --security-opt=no-new-privileges "${limits[@]}" \
	-p "127.0.0.1:$PORT:8080" \
	-v "$(realpath "$WEIGHTS"):/models/model.pth:ro" \
	"$TAG" -llm offline >/dev/null
echo "user inside: $("${podman[@]}" inspect -f '{{.Config.User}}' "$name")"

# status URL prints the HTTP status of GET URL, 000 when nothing answers.
status() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$1" || true; }

say "waiting for /readyz"
ready=$base/readyz
start=$SECONDS
while :; do
	"${podman[@]}" container inspect -f '{{.State.Running}}' "$name" | grep -q true || die "the container exited"
	code=$(status "$ready")
	if [[ $code == 200 ]]; then
		break
	fi
	if [[ $code == 404 && $ready == "$base/readyz" ]]; then
		say "/readyz answered 404: this build has no readiness endpoint yet; falling back to /api/info"
		ready=$base/api/info
		continue
	fi
	((SECONDS - start < 180)) || die "$ready not ready after 180 s (last status $code)"
	sleep 1
done
echo "ready after $((SECONDS - start)) s: GET ${ready#"$base"} -> 200"
echo "GET /healthz -> $(status "$base/healthz")"

say "one analysis of $(basename "$XRAY_IMG")"
out=$stage/analysis.json
code=$(curl -s -o "$out" -w '%{http_code}' --max-time 120 -F "image=@$XRAY_IMG" -F lang=en -F report=true "$base/api/analyze")
[[ $code == 200 ]] || die "POST /api/analyze -> $code: $(head -c 300 "$out")"
label=$(grep -o '"label":"[A-Z]*"' "$out" | head -1)
probs=$(grep -o '"probs_text":{[^}]*}' "$out" | head -1)
[[ -n $label ]] || die "no prediction label in the answer"
grep -q '"report":{' "$out" || die "no report in the answer"
grep -q '"overlay_png":"data:image/png;base64,' "$out" || die "no overlay in the answer"
echo "POST /api/analyze -> 200, $label $probs, overlay and report present ($(wc -c <"$out") bytes)"

pid=$("${podman[@]}" inspect -f '{{.State.Pid}}' "$name")
# memory prints the server's resident set now and its peak since start.
memory() {
	awk '/^VmRSS|^VmHWM/ {printf "%s %.0f MiB  ", $1, $2/1024} END {print ""}' "/proc/$pid/status"
}
echo "server process: $(memory)"

if ((LOAD > 0)); then
	for p in $PARALLEL; do
		say "load: $LOAD analyses, $p at a time (offline reports)"
		log=$stage/load-$p.txt
		t0=$(date +%s.%N)
		seq "$LOAD" | xargs -P "$p" -I{} curl -s -o /dev/null --max-time 300 \
			-w '%{http_code} %{time_total}\n' \
			-F "image=@$XRAY_IMG" -F lang=en -F report=true "$base/api/analyze" >"$log"
		t1=$(date +%s.%N)
		ok=$(grep -c '^200 ' "$log" || true)
		sort -k2,2n "$log" | awk -v t0="$t0" -v t1="$t1" -v n="$LOAD" -v ok="$ok" '
			{ lat[NR] = $2; if ($1 != 200) bad[$1]++ }
			END {
				printf "%d/%d answered 200 in %.1f s: %.2f analyses/s; latency p50 %.2f s, max %.2f s\n",
					ok, n, t1 - t0, ok / (t1 - t0), lat[int((NR + 1) / 2)], lat[NR]
				for (c in bad) printf "  %d answered %s\n", bad[c], c
			}'
		echo "server process: $(memory)"
		((ok == LOAD)) || die "some analyses failed"
	done
fi

say "stopping (SIGTERM)"
t0=$SECONDS
"${podman[@]}" stop -t 30 "$name" >/dev/null
echo "stopped after $((SECONDS - t0)) s, exit code $("${podman[@]}" inspect -f '{{.State.ExitCode}}' "$name")"
say "server log (last 5 lines)"
"${podman[@]}" logs --tail 5 "$name" 2>&1
say "PASS"
