package dev.allot.control;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * Increments to a day's totals by field: what a decision adds ({@code DecisionRecord.totalsDelta}) and what a
 * write-behind batch sums. A decision adds about ten, and a batch of 64 sums them per decision on the request's
 * event loop, where a {@code HashMap} of boxed doubles took an allocation and a string hash per field. Here the
 * fields are kept in order of first use beside unboxed sums; a field is found by a scan that compares references
 * first (the names are constants or cached, {@link CityTotals}), which over a dozen fields beats hashing. Not
 * thread-safe: one writer, then readers after a hand-over that publishes it (a lock, a queue).
 */
public final class Increments extends AbstractMap<String, Double> {

    private String[] fields;
    private double[] sums;
    private int size;

    public Increments() {
        this(12);
    }

    public Increments(int capacity) {
        fields = new String[Math.max(1, capacity)];
        sums = new double[fields.length];
    }

    /** Adds {@code delta} to {@code field}'s sum (a field not seen before starts at 0). */
    public void add(String field, double delta) {
        int i = indexOf(field);
        if (i < 0) {
            if (size == fields.length) {
                fields = Arrays.copyOf(fields, size * 2);
                sums = Arrays.copyOf(sums, size * 2);
            }
            fields[size] = field;
            i = size++;
        }
        sums[i] += delta;
    }

    /** Adds every increment of {@code other}. */
    public void addAll(Increments other) {
        for (int i = 0; i < other.size; i++) {
            add(other.fields[i], other.sums[i]);
        }
    }

    private int indexOf(Object field) {
        for (int i = 0; i < size; i++) {
            if (fields[i] == field) {
                return i;
            }
        }
        for (int i = 0; i < size; i++) {
            if (fields[i].equals(field)) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public boolean containsKey(Object key) {
        return indexOf(key) >= 0;
    }

    @Override
    public Double get(Object key) {
        int i = indexOf(key);
        return i < 0 ? null : sums[i];
    }

    @Override
    public void forEach(BiConsumer<? super String, ? super Double> action) {
        for (int i = 0; i < size; i++) {
            action.accept(fields[i], sums[i]);
        }
    }

    @Override
    public Set<Entry<String, Double>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public int size() {
                return size;
            }

            @Override
            public Iterator<Entry<String, Double>> iterator() {
                return new Iterator<>() {
                    private int next;

                    @Override
                    public boolean hasNext() {
                        return next < size;
                    }

                    @Override
                    public Entry<String, Double> next() {
                        if (next >= size) {
                            throw new NoSuchElementException();
                        }
                        int i = next++;
                        return new SimpleImmutableEntry<>(fields[i], sums[i]);
                    }
                };
            }
        };
    }
}
