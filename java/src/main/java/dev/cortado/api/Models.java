package dev.cortado.api;

import dev.cortado.models.Gpt;
import dev.cortado.nn.Module;
import dev.cortado.train.ModelFile;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Whole models in one file, whatever their kind: {@code Models.save(model, path)} and
 * {@code Models.load(path)}, the same files as each kind's own {@code save}/{@code load}
 * ({@link NetChain}, {@link BackpropNet}, {@link AnnClassifier}, {@link Classifier},
 * {@link Predictor}, {@link Gpt}). The file is safetensors with the architecture in its metadata
 * ({@link ModelFile}). Any other {@link Module} cannot be rebuilt from a file (its forward is
 * code, not data) and is refused by name: save its weights with {@link Module#saveWeights}, build it
 * in code and {@link Module#loadWeights} them, or write it as a {@link NetChain}.
 */
public final class Models {

    /** The kinds a model file can hold, as {@link ModelFile#KIND} names them. */
    public static final java.util.List<String> KINDS = java.util.List.of(NetChain.KIND, BackpropNet.KIND, AnnClassifier.KIND, Classifier.KIND,
            Predictor.KIND, Gpt.KIND);

    private Models() {
    }

    /**
     * Saves {@code model} with its own {@code save}; IllegalArgumentException naming its class when it
     * is of no kind a file can rebuild.
     */
    public static void save(Object model, Path file) throws IOException {
        if (model instanceof NetChain m) m.save(file);
        else if (model instanceof BackpropNet m) m.save(file);
        else if (model instanceof AnnClassifier m) m.save(file);
        else if (model instanceof Classifier<?> m) m.save(file);
        else if (model instanceof Predictor m) m.save(file);
        else if (model instanceof Gpt m) m.save(file);
        else throw new IllegalArgumentException(refusal(model));
    }

    private static String refusal(Object model) {
        if (model == null) return "Models.save: the model is null";
        String what = "Models.save: a " + model.getClass().getName() + " cannot be rebuilt from a file; whole-model files hold "
                + String.join(", ", KINDS);
        return model instanceof Module ? what + ". Save its weights with module.saveWeights(path) and load them into one built in code"
                + " (module.loadWeights(path)), or build it as a NetChain" : what;
    }

    /**
     * The model in {@code file}, of whichever kind it holds (a {@link Classifier}'s labels of the
     * type they were saved with); cast it, or call the kind's own {@code load} to have it checked.
     * A missing, truncated or corrupt file, or one of a newer format version, is an IOException naming it.
     */
    public static Object load(Path file) throws IOException {
        try (ModelFile f = ModelFile.read(file, null)) {
            return switch (f.kind()) {
                case NetChain.KIND -> NetChain.from(f, f.architecture());
                case BackpropNet.KIND -> BackpropNet.from(f, f.architecture());
                case AnnClassifier.KIND -> AnnClassifier.from(f, f.architecture());
                case Classifier.KIND -> Classifier.from(f, f.architecture(), null);
                case Predictor.KIND -> Predictor.from(f, f.architecture());
                case Gpt.KIND -> Gpt.from(f, f.architecture());
                default -> throw new IOException(file + ": holds a model of kind '" + f.kind() + "', which this Cortado cannot rebuild (it rebuilds "
                        + String.join(", ", KINDS) + ")");
            };
        }
    }

    /** The kind of model {@code file} holds, e.g. "NetChain"; an IOException naming a file that holds none. */
    public static String kindOf(Path file) throws IOException {
        return ModelFile.kindOf(file);
    }
}
