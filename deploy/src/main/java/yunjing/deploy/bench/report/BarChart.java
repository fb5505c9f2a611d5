package yunjing.deploy.bench.report;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * A grouped bar chart drawn with Java2D (no chart library): one group per category, one bar per series,
 * each labelled with its value. Renders headless.
 *
 * @param categories e.g. {@code metadata mean}, {@code metadata P99}
 * @param series     e.g. {@code direct}, {@code mirror}
 * @param values     {@code values[series][category]}; NaN draws no bar
 */
public record BarChart(String title, String unit, List<String> categories, List<String> series, double[][] values) {

    private static final Color[] COLORS = {new Color(0xC0504D), new Color(0x4F81BD), new Color(0x9BBB59)};
    private static final int WIDTH = 1000;
    private static final int HEIGHT = 520;
    private static final int LEFT = 80;
    private static final int RIGHT = 20;
    private static final int TOP = 60;
    private static final int BOTTOM = 90;

    public void writePng(Path file) throws IOException {
        System.setProperty("java.awt.headless", "true");
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, HEIGHT);
            draw(g);
        } finally {
            g.dispose();
        }
        ImageIO.write(image, "png", file.toFile());
    }

    private void draw(Graphics2D g) {
        double max = 0;
        for (double[] row : values) {
            for (double v : row) {
                if (!Double.isNaN(v)) {
                    max = Math.max(max, v);
                }
            }
        }
        max = niceCeiling(max);
        int plotW = WIDTH - LEFT - RIGHT;
        int plotH = HEIGHT - TOP - BOTTOM;
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
        g.drawString(title, LEFT, 30);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (int i = 0; i <= 5; i++) {
            int y = TOP + plotH - plotH * i / 5;
            g.setColor(new Color(0xDDDDDD));
            g.drawLine(LEFT, y, LEFT + plotW, y);
            g.setColor(Color.DARK_GRAY);
            g.drawString(format(max * i / 5), 8, y + 4);
        }
        g.drawString(unit, 8, TOP - 10);
        int groupW = plotW / Math.max(1, categories.size());
        int barW = Math.max(4, (groupW - 20) / Math.max(1, series.size()));
        for (int c = 0; c < categories.size(); c++) {
            int x0 = LEFT + c * groupW + 10;
            for (int s = 0; s < series.size(); s++) {
                double v = values[s][c];
                if (Double.isNaN(v) || max == 0) {
                    continue;
                }
                int h = (int) Math.round(plotH * v / max);
                int x = x0 + s * barW;
                g.setColor(COLORS[s % COLORS.length]);
                g.fillRect(x, TOP + plotH - h, barW - 4, h);
                g.setColor(Color.BLACK);
                g.drawString(format(v), x, TOP + plotH - h - 4);
            }
            g.setColor(Color.BLACK);
            // "workload stat" on two lines, so neighbouring labels never run into each other.
            String label = categories.get(c);
            int space = label.lastIndexOf(' ');
            g.drawString(space < 0 ? label : label.substring(0, space), x0, TOP + plotH + 18);
            if (space >= 0) {
                g.drawString(label.substring(space + 1), x0, TOP + plotH + 34);
            }
        }
        g.setStroke(new BasicStroke(1));
        g.drawLine(LEFT, TOP + plotH, LEFT + plotW, TOP + plotH);
        for (int s = 0; s < series.size(); s++) {
            int x = LEFT + s * 160;
            g.setColor(COLORS[s % COLORS.length]);
            g.fillRect(x, HEIGHT - 40, 14, 14);
            g.setColor(Color.BLACK);
            g.drawString(series.get(s), x + 20, HEIGHT - 28);
        }
    }

    private static double niceCeiling(double v) {
        if (v <= 0) {
            return 1;
        }
        double magnitude = Math.pow(10, Math.floor(Math.log10(v)));
        for (double step : new double[]{1, 2, 2.5, 5, 10}) {
            if (step * magnitude >= v) {
                return step * magnitude;
            }
        }
        return 10 * magnitude;
    }

    private static String format(double v) {
        return v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v);
    }
}
