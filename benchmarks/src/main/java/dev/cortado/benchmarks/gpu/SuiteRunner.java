package dev.cortado.benchmarks.gpu;

import static org.junit.platform.engine.discovery.ClassNameFilter.includeClassNamePatterns;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectPackage;

import java.io.PrintWriter;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;

/**
 * The GPU bundle's test runner (the GPU machines have no Maven): runs the JUnit tests on the class
 * path whose class names match the patterns given (regular expressions, e.g.
 * {@code .*ConformanceTest}), prints each failure and the summary, and exits 1 when any failed.
 */
public final class SuiteRunner {

    private SuiteRunner() {
    }

    public static void main(String[] args) {
        if (args.length == 0) {
            System.err.println("usage: SuiteRunner <class-name regex>...   e.g. '.*ConformanceTest' '.*CudaEngineTest'");
            System.exit(2);
        }
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectPackage("dev.cortado"))
                .filters(includeClassNamePatterns(args))
                .build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener summary = new SummaryGeneratingListener();
        launcher.execute(request, summary);
        PrintWriter out = new PrintWriter(System.out, true);
        summary.getSummary().printFailuresTo(out, 20);
        summary.getSummary().printTo(out);
        System.exit(summary.getSummary().getTotalFailureCount() == 0 ? 0 : 1);
    }
}
