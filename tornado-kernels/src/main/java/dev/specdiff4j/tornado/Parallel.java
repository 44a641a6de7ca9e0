package dev.specdiff4j.tornado;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a loop variable whose iterations are independent. TornadoVM maps such loops to device threads when the
 * JVM runs with {@code -Dtornado.load.annotation.parallel=dev.specdiff4j.tornado.Parallel}; without that property
 * it silently runs them on one thread. On a plain JVM the annotation does nothing.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.LOCAL_VARIABLE, ElementType.TYPE_USE})
public @interface Parallel {
}
