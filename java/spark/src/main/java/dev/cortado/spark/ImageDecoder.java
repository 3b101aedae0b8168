package dev.cortado.spark;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.Serializable;
import javax.imageio.ImageIO;

/** Turns one row's encoded image (PNG, JPEG, ...) into a model's input values, on the executors. */
@FunctionalInterface
public interface ImageDecoder extends Serializable {

    float[] decode(byte[] image) throws IOException;

    /**
     * Gray images of exactly {@code height} x {@code width} pixels (ImageIO's formats: PNG, JPEG,
     * BMP, GIF) as [1, height, width] values in [0, 1] (gray / its largest value, 255 for 8 bits; a colour image is
     * averaged over its channels). Another size, or bytes that are no image, is an IOException saying so.
     */
    static ImageDecoder gray(int height, int width) {
        if (height < 1 || width < 1) throw new IllegalArgumentException("image size must be at least 1x1, got " + height + "x" + width);
        return bytes -> {
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(bytes));
            if (image == null) throw new IOException("not an image ImageIO can read (" + bytes.length + " bytes)");
            if (image.getHeight() != height || image.getWidth() != width) {
                throw new IOException("image is " + image.getHeight() + "x" + image.getWidth() + ", expected " + height + "x" + width);
            }
            float[] out = new float[height * width];
            boolean gray = image.getRaster().getNumBands() == 1;
            float max = gray ? (1 << image.getSampleModel().getSampleSize(0)) - 1 : 255f;
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    float v;
                    if (gray) {
                        v = image.getRaster().getSample(x, y, 0);
                    } else {
                        int rgb = image.getRGB(x, y);
                        v = (((rgb >> 16) & 255) + ((rgb >> 8) & 255) + (rgb & 255)) / 3f;
                    }
                    out[y * width + x] = v / max;
                }
            }
            return out;
        };
    }
}
