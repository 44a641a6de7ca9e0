// After the consumer's `mvn verify exec:exec`: its Surefire test passed and the program, started by exec:exec, printed both replies
def log = new File(basedir, 'build.log').text
def lines = log.readLines()

assert log.contains('Tests run: 1, Failures: 0, Errors: 0, Skipped: 0') : 'HelloTest did not run under Surefire'
assert lines.any { it ==~ /engine: \S.*/ } : 'exec:exec printed no engine text'
assert lines.any { it ==~ /langchain4j: \S.*/ } : 'exec:exec printed no LangChain4j answer'
assert log.contains('BUILD SUCCESS')
