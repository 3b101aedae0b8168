package dev.cortado.kernels.decl;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A pointer argument the kernel reads, and how many floats from it: {@link #value} is a Java
 * expression over the kernel's other arguments and the helpers of {@code Extents}.
 */
// in the class file: another module's @KernelTableBinding reads KernelSet from cortado-core's classes
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.PARAMETER)
public @interface In {
    /** Floats read from the pointer (a Java expression). */
    String value();

    /** May be null (the kernel then does without it). */
    boolean optional() default false;

    /** The name error messages use, when it differs from the parameter's. */
    String as() default "";
}
