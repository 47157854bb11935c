using MyTorch.Compiled;
using Xunit;

namespace MyTorch.Tests.Compiled;

/// <summary>The programs kept per shape are bounded in count and in the bytes of the tensors they hold.</summary>
public class ReplayCacheTests
{
    private static ReplayProgram Program(int rows, out Tensor output)
    {
        Tensor[] placeholders = [Tensor.Zeros([rows, 4]).Detach()];
        using (Recording.Start(out var recording))
        {
            output = (placeholders[0] * 2 + 1).Exp();
            return ReplayProgram.Create(recording, placeholders, [recording.TakeLaunches()], out _)!;
        }
    }

    [Fact]
    public void PastTheByteBudget_OnlyTheNewestProgramsAreKept()
    {
        var cache = new ReplayCache<Tensor>();
        var small = Program(8, out var smallOutput);
        var large = Program(1000, out var largeOutput);
        Assert.True(large.Bytes >= 1000 * 4 * 4 * 2); // the product, the sum and the exponential, float32
        cache.Add(small, training: false, smallOutput);
        cache.Add(large, training: false, largeOutput);
        Assert.Same(small, cache.Find(Tensor.Zeros([8, 4]), null, false, out _));
        Assert.Same(large, cache.Find(Tensor.Zeros([1000, 4]), null, false, out _));

        cache.MaxBytes = large.Bytes - 1; // the newest is kept whatever its size; the older ones only within the budget
        var next = Program(8, out var nextOutput);
        cache.Add(next, training: false, nextOutput);
        Assert.Same(next, cache.Find(Tensor.Zeros([8, 4]), null, false, out _));
        Assert.Null(cache.Find(Tensor.Zeros([1000, 4]), null, false, out _));
    }

    [Fact]
    public void ProgramsReplayIntoTheTensorsTheyRecorded()
    {
        var program = Program(3, out var output);
        var input = Tensor.FromArray(new float[] { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 }, [3, 4]);
        program.Bind(input);
        program.Run(0);
        Assert.Equal(((input * 2 + 1).Exp()).ToArray(), output.ToArray());
    }
}
