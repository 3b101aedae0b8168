package dev.cortado.spark;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.apache.spark.BarrierTaskContext;

/**
 * {@link BarrierTaskContext#allGather} without its one-second wait. Spark 4.2's barrier call sends
 * the message to the driver's BarrierCoordinator, then checks for the answer once a second
 * ({@code while (!done) Thread.sleep(1000)}, an interrupt ending the sleep early and going back to
 * the check): a step synchronised through it would take a second whatever the model. While the
 * calling thread waits here, a timer interrupts it every {@link #POLL_MICROS} µs, so it finds the
 * answer within that time of its arrival; the interrupt status is cleared when the call returns
 * (and kept if it was set before). The call's message sending is queued work (RPC outboxes, Netty's
 * event loop), not interruptible I/O of the calling thread.
 */
final class Gather {

    /** How often a waiting thread checks for the coordinator's answer. */
    static final long POLL_MICROS = 500;

    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "cortado-allgather-poll");
        t.setDaemon(true);
        return t;
    });

    private Gather() {
    }

    /** Every worker's message, in worker (partition) order, as {@code context.allGather(message)}. */
    static String[] all(BarrierTaskContext context, String message) {
        Thread caller = Thread.currentThread();
        boolean interruptedBefore = Thread.interrupted();
        Object lock = new Object();
        boolean[] waiting = {true};
        ScheduledFuture<?> poll = TIMER.scheduleAtFixedRate(() -> {
            synchronized (lock) {
                if (waiting[0]) caller.interrupt();
            }
        }, POLL_MICROS, POLL_MICROS, TimeUnit.MICROSECONDS);
        try {
            return context.allGather(message);
        } finally {
            synchronized (lock) {
                waiting[0] = false;
            }
            poll.cancel(false);
            Thread.interrupted();
            if (interruptedBefore) caller.interrupt();
        }
    }
}
