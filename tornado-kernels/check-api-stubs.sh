#!/usr/bin/env bash
# Checks the compile-only TornadoVM API stubs (src/tornado-stubs, see README.md) against a TornadoVM SDK: every
# public or protected member a stub declares must exist, with the same signature, in the SDK's tornado-api jar. Class
# declarations are not compared (TornadoExecutionPlan is sealed there and final here; TaskGraph's interface is left
# out). Skips, and says so, when TORNADOVM_HOME is not set.
set -euo pipefail
module="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"

if [[ -z "${TORNADOVM_HOME:-}" ]]; then
  echo "tornado-kernels/check-api-stubs.sh: SKIPPED: TORNADOVM_HOME is not set, so there is no TornadoVM API to compare the stubs with."
  exit 0
fi
api_jar="$TORNADOVM_HOME/share/java/tornado/tornado-api-5.2.0-jdk25.jar"
if [[ ! -f "$api_jar" ]]; then
  echo "tornado-kernels/check-api-stubs.sh: $api_jar is missing: the stubs stand in for TornadoVM 5.2.0-jdk25." >&2
  exit 1
fi
jdk_bin="${JAVA_HOME:+$JAVA_HOME/bin/}"
work="$module/target/api-stubs-check"
rm -rf "$work"
mkdir -p "$work/classes"
find "$module/src/tornado-stubs/java" -name '*.java' > "$work/sources"
"${jdk_bin}javac" -d "$work/classes" @"$work/sources"

# the members javap shows, one a line, without the class declaration and the closing brace
members() {
  "${jdk_bin}javap" -protected -cp "$1" "$2" | sed 's/ *$//' | { grep -v -e '^Compiled from' -e '{$' -e '^}$' || true; }
}
status=0
classes=0
while IFS= read -r class_file; do
  class="${class_file%.class}"
  class="${class//\//.}"
  classes=$((classes + 1))
  if ! real="$(members "$api_jar" "$class" 2>/dev/null)"; then
    echo "MISSING  $class is not in $api_jar"
    status=1
    continue
  fi
  while IFS= read -r member; do
    if ! grep -qxF -- "$member" <<<"$real"; then
      echo "MISMATCH $class:$member"
      status=1
    fi
  done < <(members "$work/classes" "$class")
done < <(cd "$work/classes" && find . -name '*.class' | sed 's|^\./||' | sort)
rm -rf "$work"
if [[ $status -eq 0 ]]; then
  echo "check-api-stubs: the $classes stub classes declare only what $(basename "$api_jar") has."
else
  echo "check-api-stubs: the stubs above differ from $(basename "$api_jar"); fix them to the real signatures." >&2
fi
exit $status
