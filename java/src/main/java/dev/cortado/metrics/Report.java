package dev.cortado.metrics;

/** What {@link Metrics#evaluate} measured: a {@link ClassificationReport} or a {@link RegressionReport}. */
public sealed interface Report permits ClassificationReport, RegressionReport {

    /** The rows evaluated. */
    int rows();

    /** This report as a classification's; IllegalStateException for a regression's. */
    default ClassificationReport classification() {
        if (this instanceof ClassificationReport c) return c;
        throw new IllegalStateException("Report: a regression was evaluated (RMSE, MAE), not a classification");
    }

    /** This report as a regression's; IllegalStateException for a classification's. */
    default RegressionReport regression() {
        if (this instanceof RegressionReport r) return r;
        throw new IllegalStateException("Report: a classification was evaluated (accuracy, confusion matrix), not a regression");
    }
}
