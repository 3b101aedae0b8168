package dev.cortado.spark;

import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.sql.types.ByteType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Reads Cortado's inputs from Spark rows: a column of float (or double) arrays, a column of bytes,
 * a numeric label; each bad value is an exception naming the column, the problem and the row.
 */
final class Columns {

    /** What a column holds. */
    enum Kind {
        FLOAT_ARRAY, DOUBLE_ARRAY, BYTES, NUMBER
    }

    private Columns() {
    }

    /** The kind of {@code column} in {@code schema}; IllegalArgumentException naming a missing column or one of another type. */
    static Kind kindOf(StructType schema, String column, Kind... allowed) {
        if (column == null) throw new IllegalArgumentException("the column name is null");
        StructField field = Arrays.stream(schema.fields()).filter(f -> f.name().equals(column)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no column '" + column + "' in " + Arrays.toString(schema.fieldNames())));
        DataType t = field.dataType();
        Kind kind = null;
        if (t instanceof ArrayType a && a.elementType() instanceof FloatType) kind = Kind.FLOAT_ARRAY;
        else if (t instanceof ArrayType a && a.elementType() instanceof DoubleType) kind = Kind.DOUBLE_ARRAY;
        else if (t instanceof BinaryType) kind = Kind.BYTES;
        else if (t instanceof FloatType || t instanceof DoubleType || t instanceof IntegerType || t instanceof LongType
                || t instanceof ShortType || t instanceof ByteType) kind = Kind.NUMBER;
        if (kind == null || !Arrays.asList(allowed).contains(kind)) {
            throw new IllegalArgumentException("column '" + column + "' is " + t.simpleString() + "; expected " + describe(allowed));
        }
        return kind;
    }

    private static String describe(Kind... kinds) {
        StringBuilder s = new StringBuilder();
        for (Kind k : kinds) {
            if (s.length() > 0) s.append(" or ");
            s.append(switch (k) {
                case FLOAT_ARRAY -> "array<float>";
                case DOUBLE_ARRAY -> "array<double>";
                case BYTES -> "binary";
                case NUMBER -> "a number";
            });
        }
        return s.toString();
    }

    /** The array in field {@code index} as floats, exactly {@code length} of them. */
    static float[] floats(Row row, int index, String column, int length, String where) {
        if (row.isNullAt(index)) throw new IllegalArgumentException("column '" + column + "' is null in " + where);
        List<Object> values = row.getList(index);
        if (values.size() != length) {
            throw new IllegalArgumentException("column '" + column + "' holds " + values.size() + " values in " + where + "; the model takes "
                    + length);
        }
        float[] out = new float[length];
        for (int i = 0; i < length; i++) {
            Object v = values.get(i);
            if (v == null) throw new IllegalArgumentException("column '" + column + "' has a null element at " + i + " in " + where);
            out[i] = ((Number) v).floatValue();
        }
        return out;
    }

    /** The bytes in field {@code index}. */
    static byte[] bytes(Row row, int index, String column, String where) {
        if (row.isNullAt(index)) throw new IllegalArgumentException("column '" + column + "' is null in " + where);
        return (byte[]) row.get(index);
    }

    /** The number in field {@code index} as a float. */
    static float number(Row row, int index, String column, String where) {
        if (row.isNullAt(index)) throw new IllegalArgumentException("column '" + column + "' is null in " + where);
        return ((Number) row.get(index)).floatValue();
    }
}
