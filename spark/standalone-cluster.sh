#!/usr/bin/env bash
# Runs `specdiff4j batch` on a Spark standalone cluster started on this machine: one master and one worker, which start
# the executors as separate JVMs, so the job runs exactly as on a real cluster (the application jar is shipped to the
# executors with spark.jars; the model paths are absolute, like models on shared storage). The cluster is stopped at the end.
# No Spark distribution is needed: the Spark jars of the spark module's build are linked into a Spark home under
# spark/target/spark-home, from which the worker starts its executors.
#
#   spark/standalone-cluster.sh --input prompts.jsonl --output out/ [other batch options]
#
# Environment: SPARK_MASTER_PORT (default 7077), SPARK_WORKER_CORES (default: all), SPARK_WORKER_MEMORY (default 2g).
set -euo pipefail
home="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
job_jar="$home/spark/target/specdiff4j-spark-job.jar"
class_path="$home/spark/target/spark-classpath.txt"
if [[ ! -f "$job_jar" || ! -f "$class_path" ]]; then
  echo "standalone-cluster: building the Spark batch job first: ./mvnw -q -B package -pl spark -am -DskipTests" >&2
  (cd "$home" && ./mvnw -q -B package -pl spark -am -DskipTests >&2)
fi
read -r -a spark_flags < "$home/spark/conf/jvm-options" || true

# a Spark home made of links to the build's Spark jars (ours alone, under target/: replaced on every run)
spark_home="$home/spark/target/spark-home"
rm -rf "$spark_home"
mkdir -p "$spark_home/jars"
IFS=: read -r -a jars < "$class_path" || true  # the list has no final newline
ln -s "${jars[@]}" "$spark_home/jars/"
export SPARK_HOME="$spark_home" SPARK_SCALA_VERSION=2.13

port="${SPARK_MASTER_PORT:-7077}"
master="spark://127.0.0.1:$port"
logs="$home/spark/target/standalone-logs"
mkdir -p "$logs"
# the daemons log at Spark's default level (INFO) into their files: the script waits for their "ready" lines
daemon_flags=(-Xmx512m "${spark_flags[@]}" -cp "$spark_home/jars/*")

pids=()
stop_cluster() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop_cluster EXIT

wait_for() { # file, text, what
  for _ in $(seq 1 120); do
    if grep -q "$2" "$1" 2>/dev/null; then return 0; fi
    sleep 0.5
  done
  echo "standalone-cluster: the $3 did not start within 60 s; its log: $1" >&2
  exit 1
}

"$java" "${daemon_flags[@]}" org.apache.spark.deploy.master.Master \
  --host 127.0.0.1 --port "$port" --webui-port "${SPARK_MASTER_WEBUI_PORT:-18080}" >"$logs/master.log" 2>&1 &
pids+=($!)
wait_for "$logs/master.log" "I have been elected leader" master
"$java" "${daemon_flags[@]}" org.apache.spark.deploy.worker.Worker \
  --host 127.0.0.1 --cores "${SPARK_WORKER_CORES:-$(nproc)}" --memory "${SPARK_WORKER_MEMORY:-2g}" \
  --webui-port "${SPARK_WORKER_WEBUI_PORT:-18081}" --work-dir "$home/spark/target/standalone-work" "$master" >"$logs/worker.log" 2>&1 &
pids+=($!)
wait_for "$logs/worker.log" "Successfully registered with master" worker
echo "standalone-cluster: master $master and one worker are up (logs in $logs); submitting the batch job" >&2

# the same job code, now with executors in JVMs of their own
SPECDIFF4J_JAVA_OPTS="${SPECDIFF4J_JAVA_OPTS:-} -Dspark.jars=$job_jar -Dspark.driver.host=127.0.0.1 \
-Dspark.executor.extraJavaOptions=--add-modules=jdk.incubator.vector" \
  "$home/bin/specdiff4j" batch --master "$master" "$@"
