package dev.cortado.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** NetLayer's descriptions (the layers of a saved NetChain): every kind read back as written, bad descriptions refused by what is wrong. */
class NetLayerDescriptionTest {

    /** At least one layer of every kind, with arguments away from their defaults where a kind has any. */
    static List<NetLayer> everyKind() {
        return List.of(NetLayer.linear(7), NetLayer.ramp(), NetLayer.elementwise(NetLayer.Function.TANH),
                NetLayer.elementwise(NetLayer.Function.LOGISTIC_SIGMOID), NetLayer.convolution(20, 5), NetLayer.convolution(8, 3, 2, 1),
                NetLayer.convolution(4, 1, 1, 0, false), NetLayer.pooling(2, 2), NetLayer.lstm(9), NetLayer.sequenceLast(), NetLayer.flatten(),
                NetLayer.softmax(), NetLayer.batchNormalization(), NetLayer.layerNormalization(), NetLayer.embedding(6, 30),
                NetLayer.selfAttention(2, true), NetLayer.selfAttention(3, false), NetLayer.globalAveragePooling(),
                NetLayer.residual(NetLayer.convolution(4, 3, 1, 1), NetLayer.ramp()),
                NetLayer.residual(new NetLayer[] {NetLayer.convolution(8, 3, 2, 1, false), NetLayer.batchNormalization()},
                        new NetLayer[] {NetLayer.convolution(8, 1, 2, 0, false), NetLayer.batchNormalization()}));
    }

    @Test
    void everyKindReadsBackAsWritten() {
        Set<String> seen = new TreeSet<>();
        for (NetLayer layer : everyKind()) {
            String d = layer.description();
            NetLayer back = NetLayer.fromDescription(d);
            assertEquals(layer.toString(), back.toString(), d);
            assertEquals(d, back.description());
            assertEquals(layer.kind(), back.kind());
            seen.add(layer.kind());
        }
        assertEquals(new TreeSet<>(NetLayer.kinds()), seen, "the samples cover the whole table");
        assertEquals("{\"layer\":\"convolution\",\"filters\":20,\"kernel\":5,\"stride\":1,\"padding\":0,\"biases\":true}",
                NetLayer.convolution(20, 5).description(), "defaults are written out");
        assertEquals("{\"layer\":\"elementwise\",\"function\":\"RAMP\"}", NetLayer.ramp().description());
    }

    @Test
    void badDescriptionsSayWhatIsWrong() {
        String[][] cases = {
            {"[1, 2]", "must be a JSON object"},
            {"{\"filters\": 3}", "has no \"layer\" kind"},
            {"{\"layer\": \"dense\", \"size\": 3}", "unknown layer kind 'dense' (known: linear, elementwise, convolution"},
            {"{\"layer\": \"linear\"}", "lacks its argument 'size'"},
            {"{\"layer\": \"linear\", \"size\": 3, \"bias\": false}", "unknown argument 'bias'"},
            {"{\"layer\": \"linear\", \"size\": \"3\"}", "argument 'size' is \"3\", not an integer"},
            {"{\"layer\": \"linear\", \"size\": 3.5}", "argument 'size' is 3.5, not an integer"},
            {"{\"layer\": \"linear\", \"size\": 0}", "linear: size must be >= 1, got 0"},
            {"{\"layer\": \"selfAttention\", \"heads\": 2, \"causal\": 1}", "argument 'causal' is 1, not true or false"},
            {"{\"layer\": \"elementwise\", \"function\": \"SWISH\"}", "argument 'function' is \"SWISH\", not one of [RAMP, TANH, LOGISTIC_SIGMOID]"},
            {"{\"layer\": \"residual\", \"branch\": [{\"layer\": \"flatten\"}], \"shortcut\": {}}", "argument 'shortcut' is {}, not an array of layers"},
            {"{\"layer\": \"residual\", \"branch\": [{\"layer\": \"nope\"}], \"shortcut\": []}", "unknown layer kind 'nope'"},
            {"{\"layer\": \"linear\", \"size\": 3} trailing", "not JSON"},
        };
        for (String[] c : cases) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NetLayer.fromDescription(c[0]), c[0]);
            assertTrue(e.getMessage().contains(c[1]), c[0] + " -> " + e.getMessage());
        }
    }
}
