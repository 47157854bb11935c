using System.Globalization;
using MyTorch.Cli.Training;

namespace MyTorch.Cli.Reporting;

/// <summary>Seed 004's four training-statistics curves: loss and error, for training and validation, against the epoch.</summary>
public static class TrainingPlot
{
    /// <summary>Width of the image in pixels.</summary>
    public const int ImageWidth = 1400;
    /// <summary>Height of the image in pixels.</summary>
    public const int ImageHeight = 560;

    internal static readonly Rgb TrainingColor = new(31, 119, 180);
    internal static readonly Rgb ValidationColor = new(255, 127, 14);
    private static readonly Rgb White = new(255, 255, 255);
    private static readonly Rgb Ink = new(34, 34, 34);
    private static readonly Rgb Grid = new(225, 225, 225);
    private const int TextScale = 2;
    private const int CharHeight = BitmapFont.GlyphHeight * TextScale;

    /// <summary>Writes the curves as a PNG with a loss panel and an error panel; the same history gives the same bytes.</summary>
    public static void Save(string path, TrainingHistory history, bool regression)
    {
        ArgumentNullException.ThrowIfNull(path);
        var canvas = Draw(history, regression);
        // Written beside the file and moved into place, like every other output, so a reader never sees half an image.
        var temporary = path + ".tmp.png";
        using (var file = File.Create(temporary)) canvas.SavePng(file);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The two panels, drawn.</summary>
    internal static Canvas Draw(TrainingHistory history, bool regression)
    {
        ArgumentNullException.ThrowIfNull(history);
        var epochs = history.Epochs.Select(e => (double)e.Epoch).ToArray();
        var canvas = new Canvas(ImageWidth, ImageHeight, White);
        int half = ImageWidth / 2;
        Panel(canvas, 0, half, "Loss", regression ? "MSE (scaled targets)" : "cross-entropy", epochs,
            history.Epochs.Select(e => e.TrainLoss).ToArray(), history.Epochs.Select(e => e.ValidationLoss).ToArray());
        Panel(canvas, half, half, regression ? "Mean absolute error" : "Error", regression ? "MAE (original units)" : "misclassified fraction", epochs,
            history.Epochs.Select(e => e.TrainError).ToArray(), history.Epochs.Select(e => e.ValidationError).ToArray());
        return canvas;
    }

    private static void Panel(Canvas canvas, int originX, int width, string title, string yLabel, double[] epochs, double[] train, double[] validation)
    {
        const int left = 120, right = 30, top = 50, bottom = 70;
        int plotX = originX + left, plotY = top, plotWidth = width - left - right, plotHeight = ImageHeight - top - bottom;
        canvas.Text(plotX + (plotWidth - BitmapFont.Width(title, 3)) / 2, 12, title, Ink, 3);
        canvas.Text(plotX + (plotWidth - BitmapFont.Width("epoch", TextScale)) / 2, ImageHeight - 28, "epoch", Ink, TextScale);
        canvas.TextUpwards(originX + 14, plotY + (plotHeight + BitmapFont.Width(yLabel, TextScale)) / 2, yLabel, Ink, TextScale);

        var values = train.Concat(validation).Where(double.IsFinite).ToArray();
        var (yMin, yMax, yStep) = values.Length == 0 ? (0.0, 1.0, 0.25) : NiceRange(values.Min(), values.Max(), 6);
        double xMin = epochs.Length == 0 ? 0 : epochs.Min(), xMax = epochs.Length == 0 ? 1 : epochs.Max();
        if (xMax <= xMin) (xMin, xMax) = (xMin - 1, xMax + 1);
        double xStep = Math.Max(1, NiceStep((xMax - xMin) / 10));
        double X(double epoch) => plotX + (epoch - xMin) / (xMax - xMin) * (plotWidth - 1);
        double Y(double value) => plotY + (yMax - value) / (yMax - yMin) * (plotHeight - 1);

        int decimals = Math.Max(0, (int)-Math.Floor(Math.Log10(yStep) + 1e-9));
        for (int i = 0; yMin + i * yStep <= yMax + yStep * 1e-6; i++)
        {
            double value = yMin + i * yStep;
            int y = (int)Math.Round(Y(value));
            canvas.FillRectangle(plotX, y, plotWidth, 1, Grid);
            canvas.FillRectangle(plotX - 6, y, 6, 1, Ink);
            string label = value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
            canvas.Text(plotX - 10 - BitmapFont.Width(label, TextScale), y - CharHeight / 2, label, Ink, TextScale);
        }
        for (double epoch = Math.Ceiling(xMin / xStep) * xStep; epoch <= xMax + 1e-9; epoch += xStep)
        {
            int x = (int)Math.Round(X(epoch));
            canvas.FillRectangle(x, plotY, 1, plotHeight, Grid);
            canvas.FillRectangle(x, plotY + plotHeight, 1, 6, Ink);
            string label = epoch.ToString("F0", CultureInfo.InvariantCulture);
            canvas.Text(x - BitmapFont.Width(label, TextScale) / 2, plotY + plotHeight + 10, label, Ink, TextScale);
        }
        canvas.StrokeRectangle(plotX, plotY, plotWidth, plotHeight, Ink);

        Curve(canvas, epochs, train, X, Y, TrainingColor);
        Curve(canvas, epochs, validation, X, Y, ValidationColor);
        Legend(canvas, plotX + plotWidth - 10, plotY + 10);
    }

    private static void Curve(Canvas canvas, double[] epochs, double[] values, Func<double, double> x, Func<double, double> y, Rgb color)
    {
        for (int i = 0; i < epochs.Length; i++)
        {
            if (!double.IsFinite(values[i])) continue;
            if (i + 1 < epochs.Length && double.IsFinite(values[i + 1]))
                canvas.Line(x(epochs[i]), y(values[i]), x(epochs[i + 1]), y(values[i + 1]), color, 2.5);
            else if (i == 0 || !double.IsFinite(values[i - 1]))
                canvas.Line(x(epochs[i]), y(values[i]), x(epochs[i]), y(values[i]), color, 6); // a lone point still shows, as a dot
        }
    }

    /// <summary>The legend box, its top-right corner at (<paramref name="right"/>, <paramref name="top"/>).</summary>
    private static void Legend(Canvas canvas, int right, int top)
    {
        (string Label, Rgb Color)[] entries = [("training", TrainingColor), ("validation", ValidationColor)];
        int textWidth = entries.Max(e => BitmapFont.Width(e.Label, TextScale));
        int width = 12 + 36 + 10 + textWidth + 12, rowHeight = CharHeight + 12, height = entries.Length * rowHeight + 12;
        int left = right - width;
        canvas.FillRectangle(left, top, width, height, White);
        canvas.StrokeRectangle(left, top, width, height, Ink);
        for (int i = 0; i < entries.Length; i++)
        {
            int y = top + 12 + i * rowHeight;
            canvas.Line(left + 12, y + CharHeight / 2.0, left + 48, y + CharHeight / 2.0, entries[i].Color, 2.5);
            canvas.Text(left + 58, y, entries[i].Label, Ink, TextScale);
        }
    }

    /// <summary>Axis bounds that enclose [min, max] on multiples of a 1, 2 or 5 step giving about <paramref name="ticks"/> ticks.</summary>
    internal static (double Min, double Max, double Step) NiceRange(double min, double max, int ticks)
    {
        if (max <= min)
        {
            double pad = min == 0 ? 0.5 : Math.Abs(min) * 0.1;
            (min, max) = (min - pad, max + pad);
        }
        double step = NiceStep((max - min) / ticks);
        return (Math.Floor(min / step) * step, Math.Ceiling(max / step) * step, step);
    }

    private static double NiceStep(double rough)
    {
        if (!(rough > 0)) return 1;
        double power = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        double fraction = rough / power;
        return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power;
    }
}
