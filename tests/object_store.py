"""A real S3-compatible server for the tests: moto's server mode (ThreadedMotoServer) on a free loopback port,
spoken to over HTTP by the app's own boto3 client exactly as it speaks to a rented bucket — not a mock of the
client. Each test gets a bucket of its own."""
import uuid

ACCESS_KEY, SECRET_KEY, REGION = "mostrador-test-key", "mostrador-test-secret", "eu-west-1"


class S3Server:
    def __init__(self):
        self.server, self.endpoint = None, None

    def __enter__(self):
        from moto.server import ThreadedMotoServer

        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.server.start()
        host, port = self.server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        return self

    def __exit__(self, *exc):
        self.server.stop()

    def client(self):
        import boto3

        return boto3.session.Session().client("s3", endpoint_url=self.endpoint, region_name=REGION,
                                              aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)

    def new_bucket(self):
        name = f"shop-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
        return name

    def settings(self, bucket, prefix="files"):
        """The app's settings (config keys, as the STORAGE_* environment variables give them) for `bucket`."""
        return {"STORAGE_URL": f"s3://{bucket}/{prefix}", "STORAGE_ENDPOINT_URL": self.endpoint,
                "STORAGE_REGION": REGION, "STORAGE_ACCESS_KEY_ID": ACCESS_KEY, "STORAGE_SECRET_ACCESS_KEY": SECRET_KEY}

    def objects(self, bucket, prefix="files"):
        """{key: bytes} of everything in the bucket under the prefix, read straight from the server."""
        client = self.client()
        listed = client.list_objects_v2(Bucket=bucket, Prefix=prefix + "/").get("Contents", [])
        return {item["Key"]: client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read() for item in listed}
