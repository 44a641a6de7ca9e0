package dev.specdiff4j.spark;

import org.apache.spark.sql.SparkSession;

import java.nio.file.Path;

/** The tests' Spark: local mode with two task slots, no web UI, loopback only. */
final class SparkSessions {
    static final Path DEMO = Path.of("..", "models", "demo");

    private SparkSessions() {
    }

    static SparkSession local2() {
        return SparkSession.builder()
                .master("local[2]")
                .appName("specdiff4j-spark-tests")
                .config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.sql.warehouse.dir", Path.of("target", "spark-warehouse").toAbsolutePath().toString())
                .getOrCreate();
    }
}
