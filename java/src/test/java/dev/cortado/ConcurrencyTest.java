package dev.cortado;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.kernels.Backends;
import dev.cortado.kernels.CheckedKernels;
import dev.cortado.kernels.JavaKernels;
import dev.cortado.kernels.KernelSet;
import dev.cortado.kernels.cpu.CpuKernels;
import dev.cortado.autograd.GradMode;
import dev.cortado.memory.Device;
import dev.cortado.memory.Memory;
import dev.cortado.memory.SimAllocator;
import dev.cortado.nn.LeNet;
import dev.cortado.nn.Module;
import dev.cortado.tensor.MemoryScope;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/** Threads racing on tensors and kernels: closes during calls, shared models, thread-count changes. */
class ConcurrencyTest {

    /** A kernel set whose fill waits, inside the call, until the test lets it go on. */
    private static KernelSet pausingFill(CountDownLatch inside, CountDownLatch goOn) {
        KernelSet ref = new JavaKernels("sim", Device.Kind.SIM, SimAllocator::kernelView);
        return new CheckedKernels((KernelSet) Proxy.newProxyInstance(KernelSet.class.getClassLoader(), new Class<?>[] {KernelSet.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("fill")) {
                        inside.countDown();
                        assertTrue(goOn.await(10, TimeUnit.SECONDS));
                    }
                    try {
                        return method.invoke(ref, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                }));
    }

    @Test
    void aCloseDuringAKernelCallTakesEffectWhenTheCallReturns() throws Exception {
        // was: close freed the memory at once, while the kernel still wrote it (on the cpu backend: SIGSEGV)
        Device dev = Device.sim(6);
        CountDownLatch inside = new CountDownLatch(1), goOn = new CountDownLatch(1);
        KernelSet k = pausingFill(inside, goOn);
        Tensor t = Tensor.zeros(dev, 5000);
        long bytes = Memory.stats(dev).inUse();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread call = new Thread(() -> {
            try {
                k.fill(5000, 1f, t.ptr());
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        call.start();
        assertTrue(inside.await(10, TimeUnit.SECONDS));
        t.close();
        assertEquals(bytes, Memory.stats(dev).inUse(), "the running call still holds the memory");
        goOn.countDown();
        call.join();
        assertNull(failure.get());
        assertEquals(0, Memory.stats(dev).inUse(), "freed when the call returned");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> k.fill(5000, 1f, t.ptr()));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    /** Runs each body in a loop on its own daemon thread for {@code millis}; fails if any throws or does not stop in time. */
    static void race(long millis, Runnable... bodies) throws InterruptedException {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long end = System.nanoTime() + millis * 1_000_000;
        Thread[] threads = new Thread[bodies.length];
        for (int i = 0; i < bodies.length; i++) {
            Runnable body = bodies[i];
            threads[i] = new Thread(() -> {
                try {
                    while (System.nanoTime() < end && failure.get() == null) body.run();
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "race-" + i);
            threads[i].setDaemon(true);
            threads[i].start();
        }
        for (Thread t : threads) {
            t.join(millis + 30_000);
            assertTrue(!t.isAlive(), t.getName() + " is stuck (deadlock?)");
        }
        if (failure.get() != null) throw new AssertionError("a racing thread failed", failure.get());
    }

    @Test
    void changingTheThreadCountWhileKernelsRunIsSafe() throws Exception {
        // was: the pool read its size before taking its run lock, and a region could wait forever for stopped workers
        int before = CpuKernels.threads();
        try (Backends.Selection cpu = Backends.use("cpu"); Tensor a = Tensor.ones(256, 256); Tensor b = Tensor.ones(256, 256)) {
            race(2000, () -> {
                try (Tensor c = a.matmul(b)) {
                    assertEquals(256f, c.get(17, 3));
                }
            }, () -> {
                CpuKernels.setThreads(1);
                CpuKernels.setThreads(2);
            });
        } finally {
            CpuKernels.setThreads(before);
        }
    }

    @Test
    void moreThreadsThanCoresAreCapped() {
        // was: 64 threads on 2 cores spin-waited for each other and 100 LeNet iterations never finished
        int before = CpuKernels.threads(), cores = Runtime.getRuntime().availableProcessors();
        try {
            assertEquals(cores, CpuKernels.setThreads(64 * cores));
            assertEquals(cores, CpuKernels.threads());
            assertEquals(1, CpuKernels.setThreads(1));
            assertThrows(IllegalArgumentException.class, () -> CpuKernels.setThreads(0));
        } finally {
            CpuKernels.setThreads(before);
        }
    }

    @Test
    void threadsShareOneModelForInference() throws Exception {
        try (Backends.Selection cpu = Backends.use("cpu"); Module net = LeNet.create(new Rng(1)).eval();
             Tensor x = Tensor.uniform(new Rng(2), 0, 1, 8, 1, 28, 28)) {
            float[] expected;
            try (GradMode off = GradMode.off(); Tensor y = net.forward(x)) {
                expected = y.toArray();
            }
            Runnable infer = () -> {
                try (GradMode off = GradMode.off(); MemoryScope scope = MemoryScope.open()) {
                    assertArrayEquals(expected, net.forward(x).toArray());
                }
            };
            race(1500, infer, infer, infer);
        }
    }

    @Test
    void closesRacingNativeKernelsNeverCrash() throws Exception {
        // was: a tensor closed on another thread during a native GEMM was freed under it (SIGSEGV in cortado_sgemm),
        // or, through the cache, handed to another tensor while the kernel still wrote it
        AtomicLong done = new AtomicLong(), refused = new AtomicLong();
        try (Backends.Selection cpu = Backends.use("cpu"); Tensor w = Tensor.uniform(new Rng(3), -1, 1, 384, 384)) {
            java.util.concurrent.BlockingQueue<Tensor> shared = new java.util.concurrent.LinkedBlockingQueue<>();
            race(2500, () -> {
                Tensor x = Tensor.uniform(new Rng(4), -1, 1, 384, 384);
                shared.add(x);
                try (Tensor y = x.matmul(w)) {
                    assertEquals(384 * 384, y.numel());
                    done.incrementAndGet();
                } catch (IllegalStateException closed) {
                    assertTrue(closed.getMessage().contains("closed") || closed.getMessage().contains("freed"), closed.getMessage());
                    refused.incrementAndGet();
                }
            }, () -> {
                Tensor x = shared.poll();
                if (x != null) x.close();
            }, () -> Memory.emptyCache(Device.CPU)); // freed blocks go back to the system at once
            shared.forEach(Tensor::close);
        }
        assertTrue(done.get() + refused.get() > 10, "calls made: " + done + " completed, " + refused + " refused");
    }

    @Test
    void poolThreadsThatSleepAreWokenForEveryRegion() throws Exception {
        // The pool's threads sleep on a futex after a short spin: idle workers between regions, and the
        // caller or a barrier's early arrivals when a team member is late. A lost wake-up hangs here
        // (race() fails a stuck thread). The pauses put the workers to sleep; the busy thread makes
        // team members late by taking their core.
        int before = CpuKernels.threads();
        AtomicLong regions = new AtomicLong();
        try (Backends.Selection cpu = Backends.use("cpu"); Tensor a = Tensor.ones(256, 256); Tensor b = Tensor.ones(256, 256);
             Tensor p = Tensor.ones(16, 300); Tensor q = Tensor.ones(300, 64)) {
            CpuKernels.setThreads(2);
            race(2000, () -> {
                // a tall C (row blocks, a barrier per shared B block) and a small one (the team shares each A block)
                try (Tensor rows = a.matmul(b); Tensor shared = p.matmul(q)) {
                    assertAll(rows.toArray(), 256f);
                    assertAll(shared.toArray(), 300f);
                }
                if (regions.incrementAndGet() % 3 == 0) LockSupport.parkNanos(1_000_000);  // past the workers' idle spin
            }, () -> {
                for (long end = System.nanoTime() + 2_000_000; System.nanoTime() < end;) Thread.onSpinWait();
                LockSupport.parkNanos(500_000);
            });
        } finally {
            CpuKernels.setThreads(before);
        }
        assertTrue(regions.get() > 20, "GEMM pairs done: " + regions.get());
    }

    private static void assertAll(float[] values, float expected) {
        for (int i = 0; i < values.length; i++) {
            if (values[i] != expected) assertEquals(expected, values[i], "element " + i);
        }
    }
}
