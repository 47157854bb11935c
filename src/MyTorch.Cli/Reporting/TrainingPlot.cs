using ScottPlot;
using MyTorch.Cli.Training;

namespace MyTorch.Cli.Reporting;

/// <summary>Seed 004's four training-statistics curves: loss and error, for training and validation, against the epoch.</summary>
public static class TrainingPlot
{
    /// <summary>Writes the curves as a PNG with a loss panel and an error panel.</summary>
    public static void Save(string path, TrainingHistory history, bool regression)
    {
        ArgumentNullException.ThrowIfNull(history);
        var epochs = history.Epochs.Select(e => (double)e.Epoch).ToArray();
        var multiplot = new Multiplot();
        multiplot.AddPlots(2);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();
        Panel(multiplot.GetPlot(0), "Loss", regression ? "MSE (scaled targets)" : "cross-entropy", epochs,
            history.Epochs.Select(e => e.TrainLoss).ToArray(), history.Epochs.Select(e => e.ValidationLoss).ToArray());
        Panel(multiplot.GetPlot(1), regression ? "Mean absolute error" : "Error", regression ? "MAE (original units)" : "misclassified fraction", epochs,
            history.Epochs.Select(e => e.TrainError).ToArray(), history.Epochs.Select(e => e.ValidationError).ToArray());
        // Rendered beside the file and moved into place, like every other output, so a reader never sees half an image.
        var temporary = path + ".tmp.png";
        multiplot.SavePng(temporary, 1400, 560);
        File.Move(temporary, path, overwrite: true);
    }

    private static void Panel(Plot plot, string title, string yLabel, double[] epochs, double[] train, double[] validation)
    {
        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel(yLabel);
        if (epochs.Length > 0)
        {
            var trainLine = plot.Add.Scatter(epochs, train);
            trainLine.LegendText = "training";
            trainLine.LineWidth = 2;
            var validationLine = plot.Add.Scatter(epochs, validation);
            validationLine.LegendText = "validation";
            validationLine.LineWidth = 2;
        }
        plot.ShowLegend(Alignment.UpperRight);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
    }
}
