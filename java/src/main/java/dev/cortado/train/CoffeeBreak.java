package dev.cortado.train;

/**
 * Work the solver does every so many iterations (Mocha's coffee breaks): print a summary, run
 * validation, write a snapshot, or anything the user adds.
 */
@FunctionalInterface
public interface CoffeeBreak {
    /** Called after iteration {@code solver.iteration()} completed. */
    void onBreak(Solver solver) throws Exception;
}
