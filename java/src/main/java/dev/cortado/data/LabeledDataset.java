package dev.cortado.data;

import java.util.List;
import java.util.Objects;

/**
 * A {@link Dataset} read from a file or folder, with the names that came with it: the feature
 * (column) names, and the class names whose index is the label (empty when the labels are
 * numbers, e.g. regression targets), so a prediction can be named with {@link #className(int)}.
 */
public record LabeledDataset(Dataset dataset, List<String> featureNames, List<String> classNames) {

    public LabeledDataset {
        if (dataset == null) throw new IllegalArgumentException("dataset is null");
        if (featureNames != null && featureNames.stream().anyMatch(Objects::isNull) || classNames != null && classNames.stream().anyMatch(Objects::isNull)) {
            throw new IllegalArgumentException("feature and class names must not contain null");
        }
        featureNames = List.copyOf(featureNames == null ? List.of() : featureNames);
        classNames = List.copyOf(classNames == null ? List.of() : classNames);
    }

    /** The name of class {@code label} (a predicted or stored class index). */
    public String className(int label) {
        if (classNames.isEmpty()) throw new IllegalArgumentException("this dataset's labels are numbers, it has no class names");
        if (label < 0 || label >= classNames.size()) {
            throw new IllegalArgumentException("class " + label + " is outside [0, " + classNames.size() + "): the classes are " + classNames);
        }
        return classNames.get(label);
    }

    /** How many classes (0 when the labels are numbers). */
    public int classCount() {
        return classNames.size();
    }
}
