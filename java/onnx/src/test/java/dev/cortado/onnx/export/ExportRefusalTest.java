package dev.cortado.onnx.export;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cortado.api.NetChain;
import dev.cortado.nn.BatchNorm;
import dev.cortado.nn.LayerNorm;
import dev.cortado.nn.Layers;
import dev.cortado.nn.Module;
import dev.cortado.nn.RMSNorm;
import dev.cortado.nn.Residual;
import dev.cortado.nn.TransformerBlock;
import dev.cortado.tensor.Rng;
import dev.cortado.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** What the export cannot write is refused, naming the layer (its class and state_dict path) and why. */
class ExportRefusalTest {

    private static String refusal(Module m, int... sampleShape) {
        return assertThrows(IllegalArgumentException.class, () -> OnnxExport.toModel(m, sampleShape)).getMessage();
    }

    private static void assertMentions(String message, String... parts) {
        for (String p : parts) assertTrue(message.contains(p), "'" + message + "' does not mention " + p);
    }

    @Test
    void a_module_with_a_forward_of_its_own_is_refused_by_class_and_path() {
        Module custom = new Module() {
            @Override
            public Tensor forward(Tensor x) {
                return x.mul(2f);
            }
        };
        String m = refusal(new Layers.Sequential(new Layers.Linear(4, 4, Layers.Neuron.IDENTITY, new Rng(1)), custom), 4);
        assertMentions(m, "'1'", custom.getClass().getName(), "no ONNX export", "Layers$Linear");
    }

    @Test
    void layers_outside_the_table_are_refused_where_they_sit() {
        assertMentions(refusal(new Layers.Sequential(new Residual(new Layers.Sequential(new RMSNorm(6)))), 3, 6),
                "'0.branch.0'", "dev.cortado.nn.RMSNorm");
        assertMentions(refusal(new TransformerBlock(8, 2, 0f, LayerNorm::new, new Rng(2)), 4, 8), "(the model itself)", "TransformerBlock");
    }

    @Test
    void batch_norm_without_running_statistics_is_refused() {
        assertMentions(refusal(new Layers.Sequential(BatchNorm.of2d(2, 1e-5f, 0.1f, true, false)), 2, 3, 3), "'0'", "BatchNorm", "running statistics");
    }

    @Test
    void an_input_a_layer_cannot_take_is_refused_naming_the_layer() {
        assertMentions(refusal(new Layers.Sequential(Layers.relu(), new Layers.Conv2d(2, 3, 3, new Rng(3))), 8), "'1'", "Conv2d", "images");
        assertMentions(refusal(new Layers.Linear(5, 2, Layers.Neuron.IDENTITY, new Rng(4)), 6), "(the model itself)", "takes 5 inputs");
    }

    @Test
    void an_uninitialized_chain_or_an_empty_shape_is_refused() {
        assertThrows(IllegalStateException.class, () -> OnnxExport.toModel(NetChain.of(3)));
        assertThrows(IllegalArgumentException.class, () -> OnnxExport.toModel(Layers.relu()));
        assertThrows(IllegalArgumentException.class, () -> OnnxExport.toModel(Layers.relu(), 3, 0));
    }
}
