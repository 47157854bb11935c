using System.Globalization;
using MyTorch.Cli.Training;

namespace MyTorch.Cli.Commands;

/// <summary>
/// What <c>mytorch train --resume</c> will do, checked before any data is loaded: the options given beside
/// <c>--resume</c> must agree with the checkpoint's run (its network, data and optimizer are fixed by it), and the run
/// must have epochs left to train.
/// </summary>
public static class ResumePlan
{
    /// <summary>Options that say how this process runs rather than what is trained; they may differ from the checkpoint's.</summary>
    public static readonly IReadOnlySet<string> RuntimeOptions = new HashSet<string>(StringComparer.Ordinal)
    {
        "--resume", "--epochs", "--out", "--json", "--threads", "--detect-anomaly",
    };

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Each training option's value in a configuration, as the command line writes it.</summary>
    private static readonly Dictionary<string, Func<TrainConfig, string>> Values = new(StringComparer.Ordinal)
    {
        ["--data"] = c => c.Data,
        ["--task"] = c => c.Task,
        ["--hidden"] = c => string.Join(',', c.Hidden),
        ["--activation"] = c => c.Activation,
        ["--batchnorm"] = c => c.BatchNorm.ToString(CultureInfo.InvariantCulture),
        ["--dropout"] = c => Number(c.Dropout),
        ["--batch-size"] = c => c.BatchSize.ToString(CultureInfo.InvariantCulture),
        ["--lr"] = c => Number(c.EffectiveLearningRate),
        ["--momentum"] = c => Number(c.Momentum),
        ["--optimizer"] = c => c.Optimizer,
        ["--lr-schedule"] = c => c.LearningRateSchedule,
        ["--lr-decay"] = c => Number(c.LearningRateDecay),
        ["--init"] = c => c.Init,
        ["--weight-decay"] = c => Number(c.WeightDecay),
        ["--seed"] = c => c.Seed.ToString(CultureInfo.InvariantCulture),
        ["--val-split"] = c => Number(c.ValidationSplit),
        ["--test-split"] = c => Number(c.TestSplit),
        ["--target"] = c => string.Join(',', c.Target),
        ["--target-scaling"] = c => c.TargetScaling,
        ["--output-activation"] = c => c.OutputActivation,
        ["--loss"] = c => c.Loss,
        ["--normalize"] = c => c.Normalize,
    };

    /// <summary>
    /// Throws naming every option in <paramref name="given"/> whose value in <paramref name="requested"/> differs from
    /// the checkpoint's <paramref name="saved"/> configuration.
    /// </summary>
    /// <exception cref="ArgumentException">Some given options conflict with the checkpoint.</exception>
    public static void CheckConflicts(TrainConfig saved, TrainConfig requested, IEnumerable<string> given)
    {
        ArgumentNullException.ThrowIfNull(saved);
        ArgumentNullException.ThrowIfNull(requested);
        ArgumentNullException.ThrowIfNull(given);
        var conflicts = new List<string>();
        foreach (var option in given.Distinct())
        {
            if (RuntimeOptions.Contains(option)) continue;
            if (!Values.TryGetValue(option, out var value))
            {
                conflicts.Add($"{option} (the checkpoint fixes it)");
                continue;
            }
            string theirs = value(saved), ours = value(requested);
            if (theirs != ours) conflicts.Add($"{option} {Shown(ours)} (the checkpoint's run has {Shown(theirs)})");
        }
        if (conflicts.Count > 0)
            throw new ArgumentException(
                $"Invalid options with --resume: {string.Join(", ", conflicts)}. A resumed run keeps its checkpoint's network, data and optimizer; " +
                "leave these options out (only --epochs, --out, --json, --threads and --detect-anomaly may change), or start a new run without --resume.");
    }

    private static string Shown(string value) => value.Length == 0 ? "''" : value;

    /// <summary>
    /// The total epochs the resumed run reaches: <paramref name="epochs"/> when given (at least <paramref name="done"/>;
    /// equal to it only writes the model, metrics and curves of a run stopped before it wrote them), else the
    /// checkpoint's own total, which must be more than <paramref name="done"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The epochs would go backwards, or a finished run would silently train nothing.</exception>
    public static int TotalEpochs(int done, int savedTotal, int? epochs)
    {
        if (epochs is int total)
        {
            if (total < done)
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                    $"Invalid value '{total}' for option --epochs: with --resume it is the total number of epochs to reach, and the checkpoint has {done} done already; expected {done} or more, such as --epochs {done + 5}."));
            return total;
        }
        if (savedTotal <= done)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"Nothing to resume: the checkpoint's run finished all {done} of its {savedTotal} epochs. Pass --epochs with the total to reach, such as --epochs {done + 5} (--epochs {done} writes the model, metrics and curves from it without training)."));
        return savedTotal;
    }

    /// <summary>The line printed before a resumed run trains.</summary>
    public static string Describe(string checkpoint, int done, int total) => string.Create(CultureInfo.InvariantCulture,
        $"resuming {checkpoint}: {done} epoch{(done == 1 ? "" : "s")} done; ") + (total == done
            ? "no epochs left to train: writing the model, metrics and curves from it"
            : string.Create(CultureInfo.InvariantCulture, $"training epoch{(total - done == 1 ? $" {total}" : $"s {done + 1} to {total}")} of {total}"));
}
