package dev.cortado.kernels.decl;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** An int or long argument that may be negative (by default they are counts and strides, checked to be >= 0). */
@Retention(RetentionPolicy.SOURCE)
@Target(ElementType.PARAMETER)
public @interface AnyValue {
}
