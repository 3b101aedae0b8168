package dev.cortado.metrics;

import java.util.Locale;

/** A regression measured on rows: root-mean-square error and mean absolute error. */
public record RegressionReport(int rows, double rmse, double mae) implements Report {

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%d rows: RMSE %.6g, MAE %.6g", rows, rmse, mae);
    }
}
