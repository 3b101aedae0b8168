package dev.cortado.kernels;

/**
 * What a native kernel call returns (CORTADO_STATUS_* in the generated header, by ordinal:
 * append, never reorder). Anything but OK becomes an exception naming the kernel set, the kernel
 * and the cause.
 */
public enum KernelStatus {
    /** The kernel ran. */
    OK,
    /** Its scratch memory could not be had from the execution context; nothing was written. */
    NO_WORKSPACE,
    /** It found an index or label out of range in device memory (the host checks host memory first). */
    BAD_INDEX,
    /** The device reported an error (the table's last_error says which). */
    DEVICE_ERROR;

    /**
     * Throws the exception for a call of {@code kernel} on the kernel set {@code set} that returned
     * {@code status}: an OutOfMemoryError for NO_WORKSPACE, an IllegalArgumentException for
     * BAD_INDEX, a KernelException otherwise.
     */
    public static void raise(String set, String kernel, int status, String detail) {
        String where = set + " " + kernel + ": ";
        String more = detail == null || detail.isEmpty() ? "" : " (" + detail + ")";
        if (status == NO_WORKSPACE.ordinal()) throw new OutOfMemoryError(where + "no memory for its workspace" + more);
        if (status == BAD_INDEX.ordinal()) throw new IllegalArgumentException(where + "an index or label is out of range" + more);
        if (status == DEVICE_ERROR.ordinal()) throw new KernelException(where + "device error" + more);
        throw new KernelException(where + "unknown status " + status + more);
    }

    /** A kernel failed on its device. */
    public static final class KernelException extends RuntimeException {
        public KernelException(String message) {
            super(message);
        }
    }
}
