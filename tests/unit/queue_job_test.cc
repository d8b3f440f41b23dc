// queue_job_test.cc — the broker <-> qmail-queue cell codec: round trips,
// exact bytes, and strict refusal of every malformed frame.
#include "core/queue_job.h"

#include <gtest/gtest.h>

#include <string>

#include "core/byte_buffer.h"
#include "broker_frames.h"
#include "core/netstring.h"

namespace qcell {
namespace {

using testing::frame_of;

TEST(QueueJob, RoundTripsWithExactBytes) {
  ByteBuffer out(queue_job_frame);
  QueueJob job{42, 1000, 31337, QueueOrigin::network};
  ASSERT_TRUE(encode_queue_job(job, out));
  EXPECT_EQ(std::string(out.view()), "42:9:queue-job,2:42,4:1000,5:31337,7:network,,");
  auto back = decode_queue_job(out.bytes());
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, job);

  ByteBuffer done(queue_job_frame);
  ASSERT_TRUE(encode_queue_done(QueueDone{42, 53}, done));
  EXPECT_EQ(std::string(done.view()), "24:10:queue-done,2:42,2:53,,");
  auto answer = decode_queue_done(done.bytes());
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->exit_code, 53);
}

TEST(QueueJob, EveryOriginRoundTrips) {
  for (QueueOrigin origin : {QueueOrigin::alias, QueueOrigin::network, QueueOrigin::bounce, QueueOrigin::user}) {
    ByteBuffer out(queue_job_frame);
    ASSERT_TRUE(encode_queue_job(QueueJob{1, 2, 3, origin}, out));
    auto back = decode_queue_job(out.bytes());
    ASSERT_TRUE(back);
    EXPECT_EQ(back->origin, origin);
  }
}

TEST(QueueJob, MalformedFramesAreRefusedWithTheirError) {
  auto job_error = [](const std::string& frame) {
    auto r = decode_queue_job(as_bytes(frame));
    return r ? std::string("ok") : std::string(describe(r.error()));
  };
  EXPECT_EQ(job_error(frame_of({"queue-job", "1", "2", "3", "user"})), "ok");
  EXPECT_EQ(job_error(frame_of({"queue-done", "1", "2"})), describe(QueueJobError::wrong_kind));
  EXPECT_EQ(job_error(frame_of({"queue-job", "1", "2", "3"})), describe(QueueJobError::wrong_field_count));
  EXPECT_EQ(job_error(frame_of({"queue-job", "1", "2", "3", "user", "x"})), describe(QueueJobError::wrong_field_count));
  EXPECT_EQ(job_error(frame_of({"queue-job", "0", "2", "3", "user"})), describe(QueueJobError::bad_number));
  EXPECT_EQ(job_error(frame_of({"queue-job", "01", "2", "3", "user"})), describe(QueueJobError::bad_number));
  EXPECT_EQ(job_error(frame_of({"queue-job", "1", "4294967296", "3", "user"})), describe(QueueJobError::bad_number));
  EXPECT_EQ(job_error(frame_of({"queue-job", "1", "-2", "3", "user"})), describe(QueueJobError::bad_number));
  EXPECT_EQ(job_error(frame_of({"queue-job", "18446744073709551616", "2", "3", "user"})),
            describe(QueueJobError::bad_number));
  EXPECT_EQ(job_error(frame_of({"queue-job", "1", "2", "3", "root"})), describe(QueueJobError::bad_origin));
  EXPECT_EQ(job_error(frame_of({"queue-job", "1", "2", "3", "user"}) + "x"), describe(QueueJobError::bad_framing));
  EXPECT_EQ(job_error("9:queue-job,"), describe(QueueJobError::bad_field_framing));
  EXPECT_EQ(job_error(std::string(queue_job_frame + 1, '1')), describe(QueueJobError::frame_too_large));

  auto done_error = [](const std::string& frame) {
    auto r = decode_queue_done(as_bytes(frame));
    return r ? std::string("ok") : std::string(describe(r.error()));
  };
  EXPECT_EQ(done_error(frame_of({"queue-done", "7", "255"})), "ok");
  EXPECT_EQ(done_error(frame_of({"queue-done", "7", "256"})), describe(QueueJobError::bad_number));
  EXPECT_EQ(done_error(frame_of({"queue-job", "7", "0"})), describe(QueueJobError::wrong_kind));
}

TEST(QueueJob, EncoderRefusesWhatTheDecoderWould) {
  ByteBuffer out(queue_job_frame);
  EXPECT_FALSE(encode_queue_job(QueueJob{0, 1, 1, QueueOrigin::user}, out));
  EXPECT_FALSE(encode_queue_done(QueueDone{0, 0}, out));
}

}  // namespace
}  // namespace qcell
