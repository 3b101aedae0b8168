package dev.cortado.spark;

import org.apache.spark.sql.SparkSession;

/** The tests' Spark: local mode, no UI, few shuffle partitions. */
final class SparkSessions {

    private SparkSessions() {
    }

    /** {@code master}: e.g. "local[2]", or "local[2,4]" for up to 4 attempts of a task. */
    static SparkSession local(String master) {
        return SparkSession.builder().master(master).appName("cortado-spark-test").config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "2").config("spark.driver.host", "127.0.0.1").getOrCreate();
    }
}
