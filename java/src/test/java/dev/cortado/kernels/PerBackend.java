package dev.cortado.kernels;

import dev.cortado.memory.Device;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * Base of test classes that run once per CPU backend: a subclass per backend passes its name,
 * and every test runs with CPU ops routed to it.
 */
public abstract class PerBackend {

    private final String backend;
    private Backends.Selection selection;

    protected PerBackend(String backend) {
        this.backend = backend;
    }

    /** The backend this instance runs on. */
    protected final String backend() {
        return backend;
    }

    @org.junit.jupiter.api.Test
    void opsRunOnTheSelectedBackend() {
        org.junit.jupiter.api.Assertions.assertEquals(backend, Backends.of(Device.CPU).name());
    }

    @BeforeEach
    protected void selectBackend() {
        selection = Backends.use(backend);
    }

    @AfterEach
    protected void restoreBackend() {
        selection.close();
    }
}
