package dev.cortado.kernels.decl;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A kernel's own argument checks, beyond the mechanical ones its parameter annotations give:
 * Java statements calling the helpers of {@code KernelChecks}. {@link #value} runs after the
 * scalar and pointer-liveness checks and before the extents are checked; {@link #leased} runs
 * while the call's leases are held (checks that read host memory, such as label ranges).
 */
@Retention(RetentionPolicy.SOURCE)
@Target(ElementType.METHOD)
public @interface Check {
    String value() default "";

    String leased() default "";
}
