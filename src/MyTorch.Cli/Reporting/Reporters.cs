using System.Globalization;
using MyTorch.Cli.Training;
using MyTorch.NN;
using Spectre.Console;

namespace MyTorch.Cli.Reporting;

/// <summary>Plain progress lines, one per epoch: for logs, pipes and --json runs.</summary>
public sealed class PlainReporter(TextWriter output) : ITrainingReporter
{
    /// <inheritdoc/>
    public void Start(TrainConfig config, PreparedData data, Module model, int epochsDone)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(model);
        string resuming = epochsDone > 0 ? string.Create(CultureInfo.InvariantCulture, $"; resuming after epoch {epochsDone}") : "";
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"data: {MyTorch.IO.MessageText.Clean(data.Source, 200)} ({data.Train.Count} train, {data.Validation.Count} validation, {data.Test.Count} test); model: {ModelFactory.Describe(config, data.Inputs, ModelFactory.Outputs(config, data.Classes))}, {model.ParameterCount():N0} parameters; optimizer {config.Optimizer} lr {config.EffectiveLearningRate}; seed {config.Seed}{resuming}"));
    }

    /// <inheritdoc/>
    public void Batch(int epoch, int batch, int batches, double loss, double errorRate, double samplesPerSecond) { }

    /// <inheritdoc/>
    public void Epoch(EpochRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"epoch {record.Epoch}: train loss {record.TrainLoss:F4} error {record.TrainError:F4} | " +
            $"validation loss {record.ValidationLoss:F4} error {record.ValidationError:F4} | {record.SamplesPerSecond:F0} samples/s"));
    }

    /// <inheritdoc/>
    public void Finish() => output.Flush();
}

/// <summary>
/// One line of status fields that fits a width: the fields come most important first, and those that do not fit are
/// left out from the end, so a narrow terminal shows less but never wraps.
/// </summary>
public static class StatusLine
{
    /// <summary>The fields, two spaces apart, as many as fit in <paramref name="width"/> columns (the first one cut if even it does not).</summary>
    public static string Fit(IReadOnlyList<string> fields, int width)
    {
        ArgumentNullException.ThrowIfNull(fields);
        if (width <= 0 || fields.Count == 0) return "";
        var line = new System.Text.StringBuilder(fields[0].Length <= width ? fields[0] : fields[0][..width]);
        for (int i = 1; i < fields.Count; i++)
        {
            if (line.Length + 2 + fields[i].Length > width) break;
            line.Append("  ").Append(fields[i]);
        }
        return line.ToString();
    }

    /// <summary>A duration as h:mm:ss, or m:ss under an hour.</summary>
    public static string Duration(TimeSpan time) => time.TotalHours >= 1
        ? string.Create(CultureInfo.InvariantCulture, $"{(int)time.TotalHours}:{time.Minutes:00}:{time.Seconds:00}")
        : string.Create(CultureInfo.InvariantCulture, $"{time.Minutes}:{time.Seconds:00}");
}

/// <summary>
/// A live Spectre.Console display: one progress bar per epoch with loss, error, the learning rate, the time left for
/// the whole run and samples/s, fitted to the terminal's width (fields are dropped, least useful first, rather than wrap).
/// </summary>
public sealed class LiveReporter : ITrainingReporter, IDisposable
{
    private readonly IAnsiConsole console;
    private readonly ManualResetEventSlim done = new();
    private readonly object gate = new();
    private Thread? thread;
    private ProgressContext? context;
    private ProgressTask? current;
    private int totalEpochs;
    private long lastRefresh;
    private double learningRate = double.NaN;
    private TimeSpan? remaining;

    /// <summary>Creates the display on <paramref name="console"/>.</summary>
    public LiveReporter(IAnsiConsole console) => this.console = console;

    /// <summary>The terminal's width in columns.</summary>
    private int Width => Math.Max(10, console.Profile.Width);

    /// <summary>The progress bar's width: a fifth of the terminal, 4 to 20 columns.</summary>
    private int BarWidth => Math.Clamp(Width / 5, 4, 20);

    /// <summary>The columns left for the description beside the bar (and the gap Spectre puts between columns).</summary>
    private int DescriptionWidth => Width - BarWidth - 2;

    /// <inheritdoc/>
    public void Start(TrainConfig config, PreparedData data, Module model, int epochsDone)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(model);
        totalEpochs = config.Epochs;
        console.MarkupLineInterpolated(
            $"[bold]MyTorch[/] training on [blue]{MyTorch.IO.MessageText.Clean(data.Source, 200)}[/]: {data.Train.Count} train / {data.Validation.Count} validation / {data.Test.Count} test");
        console.MarkupLineInterpolated(
            $"model {data.Inputs}-{string.Join('-', config.Hidden)}-{ModelFactory.Outputs(config, data.Classes)} ({config.Activation}), {model.ParameterCount():N0} parameters; {config.Optimizer} lr {config.EffectiveLearningRate}; seed {config.Seed}");
        if (epochsDone > 0) console.MarkupLineInterpolated($"resuming after epoch {epochsDone}");
        var ready = new ManualResetEventSlim();
        // Spectre's progress display runs its own refresh loop; training reports into it from this thread.
        thread = new Thread(() =>
        {
            console.Progress()
                .AutoClear(false)
                .HideCompleted(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn { Width = BarWidth })
                .Start(ctx =>
                {
                    lock (gate) context = ctx;
                    ready.Set();
                    done.Wait();
                });
        }) { IsBackground = true, Name = "progress" };
        thread.Start();
        ready.Wait();
    }

    /// <inheritdoc/>
    public void BatchEnd(in MyTorch.TrainingLoop.BatchProgress progress)
    {
        lock (gate)
        {
            learningRate = progress.LearningRate;
            remaining = progress.Remaining;
        }
    }

    /// <inheritdoc/>
    public void Batch(int epoch, int batch, int batches, double loss, double errorRate, double samplesPerSecond)
    {
        lock (gate)
        {
            if (context is null) return;
            if (current is null)
                current = context.AddTask(Describe(epoch, loss, errorRate, samplesPerSecond), maxValue: batches);
            current.Value = batch;
            long now = Environment.TickCount64;
            if (now - lastRefresh > 100 || batch == batches)
            {
                current.Description = Describe(epoch, loss, errorRate, samplesPerSecond);
                lastRefresh = now;
            }
        }
    }

    private string EpochField(int epoch) => string.Create(CultureInfo.InvariantCulture,
        $"epoch {epoch.ToString(CultureInfo.InvariantCulture).PadLeft(totalEpochs.ToString(CultureInfo.InvariantCulture).Length)}/{totalEpochs}");

    private string Describe(int epoch, double loss, double error, double samplesPerSecond)
    {
        var fields = new List<string> { EpochField(epoch), Field("loss", loss) };
        if (remaining is { } left) fields.Add($"left {StatusLine.Duration(left)}");
        fields.Add(Field("error", error));
        if (double.IsFinite(learningRate)) fields.Add(string.Create(CultureInfo.InvariantCulture, $"lr {learningRate:G3}"));
        fields.Add(string.Create(CultureInfo.InvariantCulture, $"{samplesPerSecond:F0}/s"));
        return Markup.Escape(StatusLine.Fit(fields, DescriptionWidth));
    }

    private static string Field(string name, double value) => string.Create(CultureInfo.InvariantCulture, $"{name} {value:F4}");

    /// <inheritdoc/>
    public void Epoch(EpochRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (gate)
        {
            if (current is not null)
            {
                var fields = new List<string>
                {
                    EpochField(record.Epoch), Field("loss", record.TrainLoss), Field("val loss", record.ValidationLoss),
                    Field("val error", record.ValidationError), Field("error", record.TrainError),
                    string.Create(CultureInfo.InvariantCulture, $"lr {record.LearningRate:G3}"),
                    string.Create(CultureInfo.InvariantCulture, $"{record.SamplesPerSecond:F0}/s"),
                };
                current.Description = Markup.Escape(StatusLine.Fit(fields, DescriptionWidth));
                current.StopTask();
            }
            current = null;
        }
    }

    /// <inheritdoc/>
    public void Finish()
    {
        done.Set();
        thread?.Join();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Finish();
        done.Dispose();
    }
}
