package dev.cortado.kernels.decl;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** A pointer argument the kernel reads and writes (accumulates into, updates), over {@link #value} floats; placed as an {@link Out}. */
// in the class file: another module's @KernelTableBinding reads KernelSet from cortado-core's classes
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.PARAMETER)
public @interface InOut {
    String value();

    String[] inPlace() default {};

    String as() default "";
}
